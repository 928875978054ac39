"""Delivery under the faults of a real chat API, injected into the fake Bot API and driven
against the real python-telegram-bot client: nothing lost, nothing doubled."""

from __future__ import annotations

import asyncio

import pytest
from tenacity import wait_fixed

from bot.actions import Act
from bot.adapters.telegram import delivery
from bot.reply import Action, Reply
from bot.service import Service
from tests.bot.adapters.telegram.conftest import buttons_of, sent_texts
from tests.bot.conftest import running
from tests.fakes.telegram import FakeTelegram


def _count(service: Service, metric: str) -> float:
    return service.metrics.registry.get_sample_value(metric, {"platform": "telegram"}) or 0.0


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retry every 0.2 s instead of backing off to 5 s, so an outage test takes its length."""
    monkeypatch.setattr(delivery, "_BACKOFF", wait_fixed(0.2))


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
    assert _count(service, "namesmith_sends_retried_total") == 8  # each one tried again
    assert _count(service, "namesmith_sends_dropped_total") == 0


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
    assert _count(service, "namesmith_sends_dropped_total") == 1
    assert _count(service, "namesmith_sends_retried_total") == 0


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
        await delivery.send(app.bot, 1, Reply(text), service.metrics)
        pieces = await fake.wait_sent(4)
    assert all(len(t) <= 4096 for t in sent_texts(pieces))
    assert "\n".join(sent_texts(pieces)) == text


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
        save = next(data for label, data in buttons_of(names).items() if label.startswith("⭐"))
        fake.press(save)
        saved = (await fake.wait_sent(2))[1]
    assert saved.params["text"].startswith("⭐ Saved")


def test_the_keyboard_shows_the_first_six_styles_offered() -> None:
    actions = (
        Action(Act.SAVE, "Ann", "fav:t:0"),
        Action(Act.MORE, "more like this", "more:t"),
        *(Action(Act.STYLE, f"s{i}", f"style:t:s{i}") for i in range(10)),
    )
    markup = delivery.keyboard(actions)
    assert markup is not None
    rows = [[b.text for b in row] for row in markup.inline_keyboard]
    assert rows == [["⭐ Ann"], ["🔄 more like this"], ["🎲 s0", "🎲 s1", "🎲 s2"],
                    ["🎲 s3", "🎲 s4", "🎲 s5"]]  # fmt: skip
