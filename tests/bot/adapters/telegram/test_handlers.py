"""The handlers, through the real python-telegram-bot Application against our fake Bot API server
on 127.0.0.1: every command answers, buttons for whoever may press them, groups, identity, fairness,
and bad input answered politely."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot import texts
from bot.service import Service
from engine.serving.trained import NameModel
from storage import StorageError
from tests.bot.adapters.telegram.conftest import buttons_of, sent_texts
from tests.bot.conftest import running
from tests.fakes.telegram import FakeTelegram


def _buttons(call: Any) -> list[dict[str, str]]:
    markup = call.params.get("reply_markup") or {"inline_keyboard": []}
    if isinstance(markup, str):
        markup = json.loads(markup)
    return [b for row in markup["inline_keyboard"] for b in row]


def _names(call: Any) -> list[str]:
    """The names of a reply: the lines after the header, up to the asides, unmarked."""
    lines = str(call.params["text"]).splitlines()[1:]
    names = [line for line in lines if not line.startswith("(")]
    return [line.removesuffix(f" {texts.REAL_MARK}") for line in names]


async def test_name_with_prefix_and_temperature(service: Service, fake: FakeTelegram) -> None:
    async with running(service, fake):
        fake.command("/name Eld 0.7")
        (reply,) = await fake.wait_sent(1)
    assert reply.params["chat_id"] == 1
    assert str(reply.params["text"]).startswith("english · t=0.7 · starts Eld")
    names = _names(reply)
    assert len(names) == 5
    assert all(n.startswith("Eld") for n in names)
    labels = [b["text"] for b in _buttons(reply)]
    assert [f"⭐ {n}" for n in names] == labels[:5]
    assert "🔄 more like this" in labels
    assert "🎲 elf" in labels


async def test_bad_input_gets_a_friendly_error(service: Service, fake: FakeTelegram) -> None:
    async with running(service, fake):
        fake.command("/name Eld hot")
        fake.command("/name Жук", user_id=2)
        fake.command("/name style=klingon", user_id=3)
        replies = await fake.wait_sent(3)
    by_chat = {r.params["chat_id"]: r.params["text"] for r in replies}
    assert by_chat[1].startswith("⚠️ two prefixes: 'Eld' and 'hot' — give one prefix")
    assert "unknown letters in the prefix: Ж" in by_chat[2]
    assert "unknown style 'klingon'. Choose one of: elf, english" in by_chat[3]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/start", "Hi! I invent names"),
        ("/help", "/name — invent names"),
        ("/help name", "/name [prefix] [temperature]"),
        ("/help nope", "no command /nope"),
        ("/styles", "elf (female/male) — tiny test model"),
        ("/rate Margaret", "Margaret: "),
        ("/rate", "give a name to rate"),
        ("/fav Eldrin", "⭐ Saved Eldrin. You have 1 favourite."),
        ("/favs", "No favourites yet"),
        ("/favs x", "the page must be a whole number"),
        ("/unfav Nobody", "Nobody was not in your favourites"),
        ("/export", "No favourites to export yet."),
        ("/settings", "Your defaults: style=english temperature=1 count=5 gender=any"),
        ("/settings style=elf count=3", "Saved. Your defaults: style=elf temperature=1 count=3"),
        ("/settings Eld", "settings are style, temperature, count, gender, new and (for a group)"),
        ("/settings filter=off", "filter=off"),
        ("/name filter=off", "the word filter is a setting: /settings filter=off"),
        ("/name eld 2", "english · t=1 · starts Eld\n"),
        ("/name elf 2", "elf · t=1 · new"),
        ("/name elf 0.3 2", "elf · t=0.3\n"),
        ("/rate Жук", "(the english style never uses Ж"),
        ("/reset", "Your defaults are back to: style=english"),
        ("/stats", "/stats is for the bot's admins"),
        ("/frob", "unknown command /frob"),
        ("/nmae", "unknown command /nmae; did you mean /name?"),
        ("/rate Mary Jane female", "Together: "),
        ("/rate a b c d e", "rate one name at a time"),
        ("/unfav 3", "there is no favourite number 3; you have 0"),
        ("/settings gender=any new=yes", "gender=any new=yes"),
        ("/name elf f 2", "elf · female · t=1"),
        ("/name Eld ends=a len=3-9 new 2", "english · t=1 · starts Eld · ends a · len 3-9 · new"),
    ],
)
async def test_every_command_answers(
    service: Service, fake: FakeTelegram, text: str, expected: str
) -> None:
    async with running(service, fake):
        fake.command(text)
        (reply,) = await fake.wait_sent(1)
    assert expected in reply.params["text"]


async def test_full_names(service: Service, fake: FakeTelegram, tiny_model: NameModel) -> None:
    service.engine.replace_style("surnames", tiny_model)  # english takes its family names there
    async with running(service, fake):
        fake.command("/name full 2")
        (reply,) = await fake.wait_sent(1)
    assert str(reply.params["text"]).startswith("english · t=1 · full")
    assert [len(n.split()) for n in _names(reply)] == [2, 2]


async def test_favourites_flow_and_export(service: Service, fake: FakeTelegram) -> None:
    async with running(service, fake):
        fake.command("/name 0.5 4")
        (names_reply,) = await fake.wait_sent(1)
        first = _buttons(names_reply)[0]
        fake.press(first["callback_data"], under=names_reply)
        await fake.wait_until(lambda: bool(fake.popups()), "the ⭐ pop-up")
        fake.command("/favs")
        favs = (await fake.wait_sent(2))[1]
        (marked,) = await fake.wait_sent(1, "editMessageReplyMarkup")
        fake.command("/export txt")
        (doc,) = await fake.wait_sent(1, "sendDocument")
    name = first["text"].removeprefix("⭐ ")
    assert fake.popups() == [f"⭐ Saved {name}. You have 1 favourite."]  # no chat message
    after, before = (
        [b["text"] for b in _buttons(marked)],
        [b["text"] for b in _buttons(names_reply)],
    )
    assert after == [f"✅ {name}", *before[1:]]  # the pressed star, saved; the rest as they were
    assert f"1. {name} (english" in favs.params["text"]
    assert doc.files["document"].decode() == f"{name}\n"


async def test_more_and_style_buttons(service: Service, fake: FakeTelegram) -> None:
    async with running(service, fake):
        fake.command("/name Ka 0.8 3")
        (first,) = await fake.wait_sent(1)
        buttons = {b["text"]: b["callback_data"] for b in _buttons(first)}
        fake.press(buttons["🔄 more like this"])
        fake.press(buttons["🎲 elf"], user_id=1)
        replies = await fake.wait_sent(3)
    texts = sorted(str(r.params["text"]).splitlines()[0] for r in replies[1:])
    assert texts == ["elf · t=0.8 · starts Ka", "english · t=0.8 · starts Ka"]


async def test_buttons_keep_working_after_a_restart(
    service_factory: Callable[..., Awaitable[Service]], fake: FakeTelegram
) -> None:
    first = await service_factory()
    async with running(first, fake):
        fake.command("/name 0.5 3")
        (reply,) = await fake.wait_sent(1)
    button = _buttons(reply)[1]
    second = await service_factory()  # a new process: new engine, same database file
    async with running(second, fake):
        fake.press(button["callback_data"])
        await fake.wait_until(lambda: bool(fake.popups()), "the ⭐ pop-up")
    assert fake.popups()[0].startswith(f"⭐ Saved {button['text'].removeprefix('⭐ ')}")


async def test_groups_answer_the_sender_and_ignore_other_bots(
    service: Service, fake: FakeTelegram
) -> None:
    async with running(service, fake):
        fake.command("/name@OtherBot Eld", user_id=5, chat_id=-100, chat_type="group")
        fake.command("/name@NamesmithBot Eld", user_id=5, chat_id=-100, chat_type="group")
        (reply,) = await fake.wait_sent(1)
    assert reply.params["chat_id"] == -100
    assert "reply_to_message_id" in reply.params or "reply_parameters" in reply.params
    assert all(n.startswith("Eld") for n in _names(reply))


async def test_group_defaults_need_a_group_admin(service: Service, fake: FakeTelegram) -> None:
    fake.chat_admins.add((-100, 7))
    async with running(service, fake):
        fake.command("/settings chat style=elf", user_id=6, chat_id=-100, chat_type="group")
        refused = (await fake.wait_sent(1))[0]
        fake.command("/settings chat style=elf", user_id=7, chat_id=-100, chat_type="group")
        accepted = (await fake.wait_sent(2))[1]
        fake.command("/name", user_id=8, chat_id=-100, chat_type="group")
        names = (await fake.wait_sent(3))[2]
    assert "only the group's admins" in refused.params["text"]
    assert accepted.params["text"].startswith("Saved. This group's defaults: style=elf")
    assert str(names.params["text"]).startswith("elf")


async def test_a_group_admin_can_relax_the_word_filter(
    service: Service, fake: FakeTelegram
) -> None:
    fake.chat_admins.add((-100, 7))
    async with running(service, fake):
        fake.command("/settings chat filter=off", user_id=7, chat_id=-100, chat_type="group")
        fake.command("/settings filter=on", user_id=8, chat_id=-100, chat_type="group")
        fake.command("/name 2", user_id=8, chat_id=-100, chat_type="group")
        fake.command("/name 2", user_id=8)  # in private, the user's own setting: on
        replies = await fake.wait_sent(4)
    by_chat = {r.params["chat_id"]: r.params["text"] for r in replies if "t=1" in r.params["text"]}
    assert by_chat[-100].splitlines()[0] == "english · t=1 · unfiltered"
    assert by_chat[8].splitlines()[0] == "english · t=1"


async def test_rate_limit_answers_slow_down_and_spares_others(
    service_factory: Callable[..., Awaitable[Service]], fake: FakeTelegram
) -> None:
    service = await service_factory(limit=3)
    async with running(service, fake):
        for _ in range(8):
            fake.command("/start", user_id=1)
        fake.command("/start", user_id=2)
        replies = await fake.wait_sent(5)
        await asyncio.sleep(0.5)  # nothing more is coming
        replies = fake.sent()
    assert len(replies) == 5
    user1 = [r.params["text"] for r in replies if r.params["chat_id"] == 1]
    user2 = [r.params["text"] for r in replies if r.params["chat_id"] == 2]
    # Three answers, then "slow down" once, then silence: a flood costs one extra message.
    assert [t[:9] for t in user1] == ["Hi! I inv"] * 3 + ["Slow down"]
    assert user2[0].startswith("Hi!")


async def test_a_429_from_the_api_loses_no_reply(service: Service, fake: FakeTelegram) -> None:
    fake.fail_next("sendMessage", 429, retry_after=1)
    async with running(service, fake):
        fake.command("/start")
        (reply,) = await fake.wait_sent(1)
    assert reply.params["text"].startswith("Hi!")


async def test_a_500_from_the_api_loses_no_reply(service: Service, fake: FakeTelegram) -> None:
    fake.fail_next("sendMessage", 500)
    async with running(service, fake):
        fake.command("/start")
        (reply,) = await fake.wait_sent(1)
    assert reply.params["text"].startswith("Hi!")


async def test_admin_stats(service: Service, fake: FakeTelegram) -> None:
    async with running(service, fake):
        fake.command("/name 4", user_id=999)
        await fake.wait_sent(1)
        fake.command("/stats", user_id=999)
        stats = (await fake.wait_sent(2))[1]
    assert "Names served: 4" in stats.params["text"]


async def test_logs_have_one_line_per_command_and_no_token_or_text(
    service: Service, fake: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.app import configure_logging
    from tests.fakes.telegram import TOKEN

    factory = logging.getLogRecordFactory()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        configure_logging("DEBUG", [TOKEN])  # replaces the root handlers: put caplog's back
        logging.getLogger().addHandler(caplog.handler)
        caplog.set_level(logging.DEBUG)
        async with running(service, fake):
            fake.command("/name Secretprefix 0.7")
            await fake.wait_sent(1)
    finally:
        logging.setLogRecordFactory(factory)
        root.handlers[:] = handlers
        root.setLevel(level)
    everything = "\n".join(r.getMessage() for r in caplog.records)
    assert TOKEN not in everything
    assert TOKEN.split(":")[1] not in everything
    info = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    assert "Secretprefix" not in info
    ours = [r.getMessage() for r in caplog.records if r.name == "bot.service"]
    assert len(ours) == 1
    assert ours[0].startswith("platform=telegram command=name outcome=ok ms=")


async def test_unfav_by_number_forgets_that_item_of_favs(
    service: Service, fake: FakeTelegram
) -> None:
    async with running(service, fake):
        fake.command("/fav Nina")
        fake.command("/fav Zed")
        fake.command("/unfav 1")
        fake.command("/favs")
        replies = await fake.wait_sent(4)
    assert replies[2].params["text"] == "Forgot Zed."
    assert replies[3].params["text"].splitlines()[1].startswith("1. Nina")


async def test_more_like_this_never_repeats_the_thread(
    service: Service, fake: FakeTelegram
) -> None:
    async with running(service, fake):
        fake.command("/name 0.3 5")
        first = (await fake.wait_sent(1))[0]
        seen = set(_names(first))
        for i in range(3):
            more = {b["text"]: b["callback_data"] for b in _buttons(fake.sent()[-1])}
            fake.press(more["🔄 more like this"])
            reply = (await fake.wait_sent(i + 2))[-1]
            names = {n for n in _names(reply) if not n.startswith("(")}
            assert not names & seen
            seen |= names


# --- fairness ------------------------------------------------------------------------------


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
    texts = sent_texts(replies)
    assert texts[-1].startswith("Try /name elf Eld 0.7")  # the other member is answered
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
        buttons = buttons_of(names)
        fake.press(buttons["🔄 more like this"], user_id=2)
        forged = (await fake.wait_sent(2))[1]
    assert forged.params["chat_id"] == 2
    assert forged.params["text"] == "That button has expired; send the command again."
    assert all(":" in d and len(d.split(":")[1]) >= 1 for d in buttons.values())


async def test_group_buttons_work_for_every_member(service: Service, fake: FakeTelegram) -> None:
    async with running(service, fake):
        fake.command("/name 0.5 2", user_id=1, chat_id=-9, chat_type="group")
        (names,) = await fake.wait_sent(1)
        save = next(data for label, data in buttons_of(names).items() if label.startswith("⭐"))
        fake.press(save, user_id=2, chat_id=-9, chat_type="group", under=names)
        fake.press(save, user_id=3, chat_id=-10, chat_type="group")  # another group: no
        await fake.wait_until(lambda: len(fake.popups()) == 2, "two pop-ups")
    popups = sorted(fake.popups())
    assert popups[0] == "That button has expired; send the command again."
    assert popups[1].startswith("⭐ Saved")
    assert not fake.sent("editMessageReplyMarkup")  # in a group the ✅ would mislead the others


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
        buttons = buttons_of(asked)
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
    assert texts[2] == "That button has expired; send the command again."  # not theirs
    # The question was answered ("only all"): its other button is used up with it.
    assert rest[6].params["text"] == "That button has expired; send the command again."
    assert "1. Aldo" in rest[7].params["text"]


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
        await fake.wait_until(lambda: bool(fake.popups() or fake.sent()), "an answer")
    assert [*fake.popups(), *sent_texts(fake.sent())] == [
        "That button has expired; send the command again."
    ]


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


async def test_the_command_menu_is_set_at_start(service: Service, fake: FakeTelegram) -> None:
    async with running(service, fake, admins=["tg:999", "dc:5"]):
        await fake.wait_until(lambda: len(fake.sent("setMyCommands")) == 2, "two menus")
    everyone, admins = fake.sent("setMyCommands")
    commands = everyone.params["commands"]
    listed = [
        c["command"] for c in (json.loads(commands) if isinstance(commands, str) else commands)
    ]
    assert listed[:5] == ["name", "table", "npc", "party", "styles"]
    assert "retrain" not in listed
    assert "default" in str(everyone.params.get("scope"))
    assert "retrain" in str(admins.params["commands"]) and "999" in str(admins.params["scope"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("elf 0.7", "elf · t=0.7"),
        ("name Eld", "english · t=1 · starts Eld"),
        ("hello", "Send /name elf Eld 0.7 (or just: elf) for names"),
    ],
)
async def test_a_private_message_without_a_slash_is_answered(
    service: Service, fake: FakeTelegram, text: str, expected: str
) -> None:
    async with running(service, fake):
        fake.command(text)
        (reply,) = await fake.wait_sent(1)
    assert str(reply.params["text"]).startswith(expected)


async def test_a_group_message_without_a_slash_is_not_for_the_bot(
    service: Service, fake: FakeTelegram
) -> None:
    async with running(service, fake):
        fake.command("elf 0.7", user_id=5, chat_id=-100, chat_type="group")
        fake.command("/start", user_id=5, chat_id=-100, chat_type="group")
        (reply,) = await fake.wait_sent(1)
    assert str(reply.params["text"]).startswith("Hi! I invent names")
