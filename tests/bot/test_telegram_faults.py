"""Faults of a real chat API, injected into the fake Bot API and driven against the real
python-telegram-bot client: nothing lost, nothing doubled, nothing out of order."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from tenacity import wait_fixed

from bot.adapters import telegram as tg
from bot.reply import Reply
from bot.service import Service
from storage import StorageError
from tests.bot.conftest import running
from tests.fakes.telegram import FakeTelegram


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retry every 0.2 s instead of backing off to 5 s, so an outage test takes its length."""
    monkeypatch.setattr(tg, "_BACKOFF", wait_fixed(0.2))


def _texts(calls: list[Any]) -> list[str]:
    return [str(c.params["text"]) for c in calls]


def _buttons(call: Any) -> dict[str, str]:
    markup = call.params.get("reply_markup") or {"inline_keyboard": []}
    if isinstance(markup, str):
        markup = json.loads(markup)
    return {b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row}


# --- nothing lost, nothing doubled ---------------------------------------------------------


async def test_a_429_storm_loses_no_reply(service: Service, fake: FakeTelegram) -> None:
    fake.fail_next("sendMessage", 429, times=4, retry_after=1)
    async with running(service, fake):
        fake.command("/start")
        (reply,) = await fake.wait_sent(1)
    assert reply.params["text"].startswith("Hi!")
    assert fake.refused == 4


async def test_a_burst_of_server_errors_loses_no_reply(
    service: Service, fake: FakeTelegram, quick_retries: None
) -> None:
    fake.fail_next("sendMessage", 500, times=8)
    async with running(service, fake):
        fake.command("/start")
        (reply,) = await fake.wait_sent(1)
    assert reply.params["text"].startswith("Hi!")


async def test_a_ten_second_outage_loses_and_doubles_nothing(
    service: Service, fake: FakeTelegram, quick_retries: None, caplog: pytest.LogCaptureFixture
) -> None:
    fake.outage_on_send = (10.0, "502")  # the API goes away as the first reply is sent
    async with running(service, fake):
        for user in (1, 2, 3):
            fake.command("/start", user_id=user)
        replies = await fake.wait_sent(3)
        await fake.wait_sent(3)
    assert sorted(r.params["chat_id"] for r in replies) == [1, 2, 3]
    assert fake.refused > 3  # each was refused, and retried
    # Polling through the outage logs one line per failure, never a traceback.
    assert any("telegram: polling failed" in r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if r.exc_info and r.name.startswith("telegram")]


async def test_refused_connections_lose_nothing(
    service: Service, fake: FakeTelegram, quick_retries: None
) -> None:
    fake.outage_on_send = (2.0, "refused")
    async with running(service, fake):
        fake.command("/start", user_id=1)
        fake.command("/start", user_id=2)
        replies = await fake.wait_sent(2)
    assert sorted(r.params["chat_id"] for r in replies) == [1, 2]


async def test_a_send_answered_after_the_read_timeout_is_not_sent_twice(
    service: Service, fake: FakeTelegram
) -> None:
    fake.slow["sendMessage"] = [2.0]  # delivered, but the answer comes after the timeout
    async with running(service, fake, telegram_read_timeout=0.5):
        fake.command("/start", user_id=1)
        await fake.wait_sent(1)
        fake.command("/help", user_id=2)  # the bot carries on
        await fake.wait_sent(2)
        await asyncio.sleep(1.0)  # a resend of the first would arrive in this time
    assert [c.params["chat_id"] for c in fake.sent()] == [1, 2]


async def test_permanent_refusals_are_not_retried(service: Service, fake: FakeTelegram) -> None:
    fake.fail_next("sendMessage", 400)
    async with running(service, fake):
        fake.command("/start", user_id=1)
        fake.command("/help", user_id=2)
        (reply,) = await fake.wait_sent(1)
    assert reply.params["chat_id"] == 2
    assert fake.refused == 1


async def test_a_reply_to_a_deleted_message_is_still_sent(
    service: Service, fake: FakeTelegram
) -> None:
    async with running(service, fake):
        fake.deleted.add(fake.command("/start", user_id=3, chat_id=-50, chat_type="group"))
        (reply,) = await fake.wait_sent(1)
    assert reply.params["chat_id"] == -50
    assert reply.params["reply_parameters"]["allow_sending_without_reply"] is True


async def test_a_reply_longer_than_telegram_allows_is_split(
    service: Service, fake: FakeTelegram
) -> None:
    text = "\n".join(f"line {i} " + "x" * 90 for i in range(150))  # ~14,500 characters
    async with running(service, fake) as app:
        await tg.send(app.bot, 1, Reply(text))
        pieces = await fake.wait_sent(4)
    assert all(len(t) <= 4096 for t in _texts(pieces))
    assert "\n".join(_texts(pieces)) == text


@pytest.mark.parametrize(
    "text", ["/name Eld " + "漢" * 1500, "/" + "a" * 4095, "/name " + "²" * 3000]
)
async def test_huge_input_gets_a_short_answer(
    service: Service, fake: FakeTelegram, text: str
) -> None:
    async with running(service, fake):
        fake.command(text)
        (reply,) = await fake.wait_sent(1)
    assert reply.params["text"].startswith("⚠️")
    assert len(reply.params["text"]) < 300


async def test_a_button_pressed_too_late_still_acts(service: Service, fake: FakeTelegram) -> None:
    async with running(service, fake):
        fake.command("/name 0.5 3")
        (names,) = await fake.wait_sent(1)
        fake.queries_too_old = True
        save = next(data for label, data in _buttons(names).items() if label.startswith("⭐"))
        fake.press(save)
        saved = (await fake.wait_sent(2))[1]
    assert saved.params["text"].startswith("⭐ Saved")


# --- order and fairness --------------------------------------------------------------------


async def test_one_users_commands_run_in_order(service: Service, fake: FakeTelegram) -> None:
    async with running(service, fake):
        for i in range(10):
            fake.command(f"/fav Name{i}")
            fake.command(f"/unfav Name{i}")
        fake.command("/settings style=elf")
        fake.command("/name")
        fake.command("/favs")
        replies = await fake.wait_sent(23)
    texts = _texts(replies)
    assert texts[20].startswith("Saved. Your defaults: style=elf")
    assert texts[21].startswith("elf ·")
    assert texts[22].startswith("No favourites yet")


async def test_a_flooder_is_told_once_then_ignored(
    service_factory: Callable[..., Awaitable[Service]], fake: FakeTelegram
) -> None:
    service = await service_factory(limit=3)
    async with running(service, fake):
        for _ in range(30):
            fake.command("/start", user_id=1)
        fake.command("/start", user_id=2)
        await fake.wait_sent(5)
        await asyncio.sleep(0.5)
    by_user = [c.params["chat_id"] for c in fake.sent()]
    assert by_user.count(1) == 4  # three answers and one "slow down"
    assert by_user.count(2) == 1


async def test_one_member_cannot_starve_a_group(service: Service, fake: FakeTelegram) -> None:
    async with running(service, fake):
        for _ in range(25):
            fake.command("/start", user_id=1, chat_id=-7, chat_type="group")
        await fake.wait_sent(10)
        fake.command("/help", user_id=2, chat_id=-7, chat_type="group")
        replies = await fake.wait_sent(11)
    texts = _texts(replies)
    assert texts[-1].startswith("/name — invent names")  # the other member is answered
    assert sum(t.startswith("Hi!") for t in texts) == 9  # half the group's minute, then quiet
    assert sum(t.startswith("Slow down") for t in texts) == 1


# --- identity and privacy ------------------------------------------------------------------


async def test_anonymous_admins_are_keyed_by_the_chat_they_speak_for(
    service: Service, fake: FakeTelegram
) -> None:
    async with running(service, fake):
        fake.command("/fav Aldo", chat_id=-1001, chat_type="supergroup", sender_chat=-1001)
        await fake.wait_sent(1)
        fake.command("/favs", chat_id=-1002, chat_type="supergroup", sender_chat=-1002)
        fake.command("/favs", chat_id=-1001, chat_type="supergroup", sender_chat=-1001)
        replies = await fake.wait_sent(3)
    by_chat = {r.params["chat_id"]: r.params["text"] for r in replies[1:]}
    assert by_chat[-1002].startswith("No favourites yet")
    assert "1. Aldo" in by_chat[-1001]


async def test_another_users_private_buttons_do_nothing(
    service: Service, fake: FakeTelegram
) -> None:
    async with running(service, fake):
        fake.command("/name Secret 0.5 3", user_id=1)
        (names,) = await fake.wait_sent(1)
        buttons = _buttons(names)
        fake.press(buttons["🔄 more like this"], user_id=2)
        forged = (await fake.wait_sent(2))[1]
    assert forged.params["chat_id"] == 2
    assert forged.params["text"] == "That button has expired; send the command again."
    assert all(":" in d and len(d.split(":")[1]) >= 1 for d in buttons.values())


async def test_group_buttons_work_for_every_member(service: Service, fake: FakeTelegram) -> None:
    async with running(service, fake):
        fake.command("/name 0.5 2", user_id=1, chat_id=-9, chat_type="group")
        (names,) = await fake.wait_sent(1)
        save = next(data for label, data in _buttons(names).items() if label.startswith("⭐"))
        fake.press(save, user_id=2, chat_id=-9, chat_type="group")
        fake.press(save, user_id=3, chat_id=-10, chat_type="group")  # another group: no
        replies = await fake.wait_sent(3)
    texts = sorted(_texts(replies[1:]))
    assert texts[0] == "That button has expired; send the command again."
    assert texts[1].startswith("⭐ Saved")


async def test_edited_commands_do_not_run_again(service: Service, fake: FakeTelegram) -> None:
    async with running(service, fake):
        first = fake.command("/fav Aldo")
        await fake.wait_sent(1)
        fake.command("/unfav all", edit_of=first)
        fake.command("/favs")
        replies = await fake.wait_sent(2)
    assert "1. Aldo" in replies[1].params["text"]


async def test_unfav_all_asks_first(service: Service, fake: FakeTelegram) -> None:
    async with running(service, fake):
        fake.command("/fav all")
        fake.command("/fav Aldo")
        fake.command("/unfav all")
        asked = (await fake.wait_sent(3))[2]
        buttons = _buttons(asked)
        fake.press(buttons["Forget only “all”"])
        fake.command("/favs")
        one = await fake.wait_sent(5)
        fake.press(buttons["Yes, forget all 2"], user_id=2)  # not theirs
        fake.press(buttons["Yes, forget all 2"])
        fake.command("/favs")
        rest = await fake.wait_sent(8)
    assert asked.params["text"] == "Forget all 2 of your favourites? This cannot be undone."
    assert one[3].params["text"] == "Forgot all."
    assert "1. Aldo" in one[4].params["text"]
    assert "all (" not in one[4].params["text"]
    texts = {r.params["chat_id"]: r.params["text"] for r in rest[5:7]}
    assert texts[2] == "That button has expired; send the command again."
    assert rest[6].params["text"] == "Forgot all 1 favourite."
    assert rest[7].params["text"].startswith("No favourites yet")


# --- input and data ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    ["fav:99999999999999999999:0", "fav:abc:0", "fav:1:²", "more:", "style:1:klingon", "xyz",
     "favs:²", "favs:99999999999999999999", "", "fav:" + "9" * 60],
)  # fmt: skip
async def test_garbled_buttons_expire_politely(
    service: Service, fake: FakeTelegram, data: str
) -> None:
    async with running(service, fake):
        fake.press(data)
        (reply,) = await fake.wait_sent(1)
    assert reply.params["text"] in (
        "That button has expired; send the command again.",
        "No favourites yet: press ⭐ under a reply, or send /fav <name>.",
    )


async def test_an_unexpected_error_gets_an_apology_and_a_log(
    service: Service,
    fake: FakeTelegram,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the model fell over")

    monkeypatch.setattr(service.engine, "generate", broken)
    async with running(service, fake):
        fake.command("/name")
        (reply,) = await fake.wait_sent(1)
    assert reply.params["text"] == "Sorry, something went wrong on my side. Please try again."
    failed = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert failed[0].exc_info is not None
    assert "the model fell over" not in reply.params["text"]


async def test_names_still_come_when_the_database_is_full(
    service: Service, fake: FakeTelegram
) -> None:
    async def full(*args: object, **kwargs: object) -> str:
        raise StorageError("the disk is full")

    add = service.store.replies.add
    service.store.replies.add = full  # type: ignore[method-assign]
    async with running(service, fake):
        fake.command("/name Eld 3")
        (reply,) = await fake.wait_sent(1)
        service.store.replies.add = add  # type: ignore[method-assign]
        fake.command("/name Eld 3")
        later = (await fake.wait_sent(2))[1]
    lines = reply.params["text"].splitlines()
    assert len([n for n in lines[1:] if n.startswith("Eld")]) == 3
    assert lines[-1] == "(buttons are off for now: the bot cannot store anything at the moment)"
    assert not reply.params.get("reply_markup")
    assert later.params.get("reply_markup")
