"""The service's front door, without a platform: dispatch, the rate limit, the two tiers of
errors, and which answers are private."""

from __future__ import annotations

import typing
from collections.abc import Awaitable, Callable

import pytest

from bot import texts
from bot.requests import Request, StartRequest
from bot.service import Service
from storage import DatabaseUnavailable
from tests.bot.builders import ctx, request, upload
from tests.bot.conftest import ADMIN


def test_every_request_type_has_a_use_case(service: Service) -> None:
    assert set(service._handlers) == set(typing.get_args(Request))


@pytest.mark.parametrize(
    ("text", "expected", "private"),
    [
        ("/start", "Hi! I invent names", False),
        ("/help", "Try /name elf Eld 0.7: five elf names that start with Eld.", True),
        ("/help", "/name — invent names", True),
        ("/help fav", "/fav <name> [#tag …] [— note]: save a name", True),
        ("/styles", "elf", True),
        ("/rate Anna", "Anna: ", False),
        ("/rate Anna Maria", "Together: ", False),
        ("/fav Eldrin", "⭐ Saved Eldrin. You have 1 favourite.", True),
        ("/favs", "No favourites yet", True),
        ("/unfav Eldrin", "Eldrin was not in your favourites", True),
        ("/unfav all", "You have no favourites.", True),
        ("/export", "No favourites to export yet.", True),
        ("/settings", "Your defaults: style=english temperature=1 count=5", True),
        ("/settings style=elf", "Saved. Your defaults: style=elf", True),
        ("/reset", "Your defaults are back to: style=english", True),
        ("/stats", "⚠️ /stats is for the bot's admins", True),
        ("/audit", "⚠️ /audit is for the bot's admins", True),
        ("/retrain elf corpus=elf", "⚠️ /retrain is for the bot's admins", True),
        ("/rollback elf", "⚠️ /rollback is for the bot's admins", True),
        ("/settings chat style=elf", "⚠️ /settings chat is for groups", True),
        ("/name style=klingon", "⚠️ unknown style 'klingon'", True),
        ("/nmae", "⚠️ unknown command /nmae; did you mean /name?", True),
    ],
)
async def test_each_command_answers(
    service: Service, text: str, expected: str, private: bool
) -> None:
    reply = await service.on_text(ctx(), text)
    assert reply is not None
    assert expected in reply.text
    assert reply.private is private


@pytest.mark.parametrize("text", ["hello", "", "  ", "/name@OtherBot Eld"])
async def test_what_is_not_a_command_for_this_bot_gets_no_answer_in_a_group(
    service: Service, text: str
) -> None:
    assert await service.on_text(ctx(chat="tg:-5"), text, "NamesmithBot") is None


async def test_a_typed_request_is_answered_as_its_text_is(service: Service) -> None:
    typed = await service.on_request(ctx(), request("/help rate"))
    said = await service.on_text(ctx(), "/help rate")
    assert typed == said


async def test_admins_see_the_figures(service: Service) -> None:
    reply = await service.on_text(ctx(ADMIN), "/stats")
    assert reply is not None
    assert "Names served: 0" in reply.text
    assert "Styles: elf, english" in reply.text


async def test_a_refused_admin_command_is_audited(service: Service) -> None:
    await service.on_text(ctx(), "/retrain elf corpus=elf")
    entries = await service.store.audit.recent(5)
    assert [(e.actor, e.action, e.style) for e in entries] == [("tg:1", "retrain_refused", "elf")]


async def test_over_the_limit_one_is_told_once_then_ignored(
    service_factory: Callable[..., Awaitable[Service]],
) -> None:
    service = await service_factory(limit=1)
    first = await service.on_text(ctx(), "/start")
    told = await service.on_text(ctx(), "/start")
    ignored = await service.on_text(ctx(), "/start")
    assert first is not None and first.text == texts.WELCOME
    assert told is not None and told.text.startswith("Slow down") and told.private
    assert ignored is None


async def test_a_platform_that_must_answer_is_told_every_time(
    service_factory: Callable[..., Awaitable[Service]],
) -> None:
    service = await service_factory(limit=1)
    replies = [await service.on_request(ctx(must_answer=True), StartRequest()) for _ in range(4)]
    assert [r is not None and r.text.startswith("Slow down") for r in replies] == [
        False, True, True, True,
    ]  # fmt: skip


async def test_an_unexpected_failure_is_an_apology_and_a_logged_traceback(
    service: Service, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(service.store.favourites, "count", broken)
    reply = await service.on_text(ctx(), "/unfav all")
    assert reply is not None and reply.text == texts.SORRY and reply.private
    assert any(r.exc_info and "command=unfav" in r.getMessage() for r in caplog.records)


async def test_a_database_outage_is_an_apology_not_its_address(
    service: Service, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def gone(*args: object, **kwargs: object) -> int:
        raise DatabaseUnavailable("cannot reach the database at postgresql://bot:***@db:5432/ns")

    monkeypatch.setattr(service.store.favourites, "count", gone)
    reply = await service.on_text(ctx(), "/unfav all")
    assert reply is not None
    assert reply.text == texts.SORRY
    assert any("cannot reach the database" in r.getMessage() for r in caplog.records)


async def test_the_log_names_the_command_never_what_was_typed(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    await service.on_text(ctx(), "/frobnicate secret-words")
    lines = [r.getMessage() for r in caplog.records]
    assert any("command=unknown outcome=user_error" in line for line in lines)
    assert not any("secret-words" in line or "frobnicate" in line for line in lines)


def test_common_styles_are_offered_first() -> None:
    from bot.service.names import offered

    assert offered(["zulu", "towns", "elf", "alpha", "english"]) == [
        "english", "elf", "towns", "alpha", "zulu",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("caption", "expected"),
    [
        ("/help fav", "/fav <name>"),  # a command as the caption goes with the file
        ("some names", None),  # a file alone, with no /retrain waiting for it: not for us
        (None, None),
    ],
)
async def test_a_file_goes_with_its_caption_command(
    service: Service, caption: str | None, expected: str | None
) -> None:
    reply = await service.on_file(ctx(upload=upload(b"Anna\n")), caption)
    if expected is None:
        assert reply is None
    else:
        assert reply is not None and expected in reply.text


def test_the_genders_a_style_offers(service: Service) -> None:
    assert service.genders("english") == ["female", "male", "any"]
    assert service.genders("klingon") == ["female", "male", "any"]  # unknown: every style's


@pytest.mark.parametrize(("user", "shown"), [("tg:1", False), (ADMIN, True)])
async def test_help_lists_the_admins_commands_to_admins_only(
    service: Service, user: str, shown: bool
) -> None:
    reply = await service.on_text(ctx(user), "/help")
    assert reply is not None
    assert [c in reply.text for c in ("/retrain", "/rollback", "/audit", "/stats")] == [shown] * 4


async def test_the_example_of_start_gives_what_it_promises(service: Service) -> None:
    start = await service.on_text(ctx(), "/start")
    assert start is not None and "/name elf Eld 0.7" in start.text
    names = await service.on_text(ctx(), "/name elf Eld 0.7")
    assert names is not None and names.names is not None
    assert names.names.style == "elf" and len(names.names.names) == 5
    assert all(n.startswith("Eld") for n in names.names.names)


async def test_a_trusted_user_is_never_rate_limited(
    service_factory: Callable[..., Awaitable[Service]],
) -> None:
    service = await service_factory(limit=1)
    replies = [await service.on_text(ctx(trusted=True), "/start") for _ in range(5)]
    assert all(r is not None and r.text == texts.WELCOME for r in replies)


async def test_a_discord_server_is_called_a_server(service: Service) -> None:
    reply = await service.on_text(ctx(chat="dc:5", chat_word="server"), "/settings chat style=elf")
    assert reply is not None and reply.text == "⚠️ only the server's admins can set its defaults"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name elf 0.7", "elf · t=0.7 · new"),
        ("elf 0.7", "elf · t=0.7 · new"),
        ("elf", "elf · t=1 · new"),
        ("0.5", "english · t=0.5"),
        ("favs", "No favourites yet"),
        ("hello there", "Send /name elf Eld 0.7 (or just: elf) for names"),
        ("yes", "Send /name elf Eld 0.7 (or just: elf) for names"),
    ],
)
async def test_a_private_message_without_a_slash_is_read_as_a_command(
    service: Service, text: str, expected: str
) -> None:
    reply = await service.on_text(ctx(), text)
    assert reply is not None and reply.text.startswith(expected)


async def test_in_a_group_only_commands_are_for_the_bot(service: Service) -> None:
    assert await service.on_text(ctx(chat="tg:-5"), "elf 0.7") is None


async def test_a_private_message_that_is_no_command_after_all_gets_the_hint(
    service: Service,
) -> None:
    reply = await service.on_text(ctx(), "help me find a name")
    assert reply is not None and reply.text.startswith("Send /name elf Eld 0.7")
    assert "/retrain" not in reply.text
