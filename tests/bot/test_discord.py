"""The real discord.py client (AutoShardedBot, app-command tree, dynamic items) against our fake
Discord gateway + REST server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import discord
import pytest
import yarl
from pydantic import SecretStr

from bot.actions import Act
from bot.adapters import discord as dc
from bot.adapters.discord_layout import RowKind, chunks, rows
from bot.config import Config
from bot.errors import FatalError
from bot.reply import Action
from bot.service import Service
from engine.serving.trained import NameModel
from tests.fakes.discord import (
    CHANNEL_ID,
    GUILD_ID,
    MESSAGE_CONTENT_INTENT,
    OWNER_ID,
    ROLE_ID,
    TOKEN,
    FakeDiscord,
    Sent,
)

NAMESMITH = Path(sys.executable).parent / "namesmith"
CALLBACK_MESSAGE, CALLBACK_DEFERRED, CALLBACK_UPDATE, CALLBACK_CHOICES = 4, 5, 7, 8


@pytest.fixture(autouse=True)
def _nowhere_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """discord.py's REST base and gateway are class attributes `configure_sdk` sets; each test
    starts from a dead local address (never Discord's) and they are restored after it."""
    monkeypatch.setattr(discord.http.Route, "BASE", "http://127.0.0.1:9/api/v10")
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL("ws://127.0.0.1:9/")
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    yield server
    await server.stop()


def config_for(fake: FakeDiscord, **overrides: Any) -> Config:
    return Config(
        discord_token=SecretStr(TOKEN),
        discord_api_url=fake.api_url,
        _env_file=None,  # type: ignore[call-arg]
        **overrides,
    )


@asynccontextmanager
async def running(
    service: Service, fake: FakeDiscord, **overrides: Any
) -> AsyncIterator[asyncio.Task[None]]:
    """`run` as `namesmith run` calls it, until the block ends (then a clean stop)."""
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(
        dc.run(service, config_for(fake, **overrides), stop, ready=ready, guild_ready_timeout=0.05)
    )
    waiter = asyncio.create_task(ready.wait())
    await asyncio.wait({task, waiter}, timeout=20, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    if task.done():
        task.result()  # raises what stopped it
    assert ready.is_set(), "the bot did not connect"
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


def buttons(sent: Sent) -> dict[str, str]:
    """label → custom id of every button."""
    return {c["label"]: c["custom_id"] for c in sent.components if c["type"] == 2}


def menus(sent: Sent) -> list[dict[str, Any]]:
    return [c for c in sent.components if c["type"] == 3]


def names(sent: Sent) -> list[str]:
    return str(sent.embed.get("description", "")).split("\n\n")[0].splitlines()


async def answer(fake: FakeDiscord, interaction: int) -> Sent:
    (sent,) = await fake.wait_answer(interaction)
    return sent


# --- /name -----------------------------------------------------------------------------------


async def test_name_is_an_embed_with_save_buttons_more_and_a_style_menu(
    service: Service, fake: FakeDiscord
) -> None:
    async with running(service, fake):
        sent = await answer(fake, fake.slash("name", {"prefix": "Eld", "temperature": 0.7}))
    assert sent.kind == "callback" and sent.type == CALLBACK_MESSAGE
    assert not sent.ephemeral
    found = names(sent)
    assert len(found) == 5 and all(n.startswith("Eld") for n in found)
    assert sent.embed["fields"] == [
        {"name": "Settings", "value": "t=0.7 · starts Eld", "inline": True}
    ]
    assert sent.embed["footer"]["text"] == "english"
    assert fake.compression == ["zlib-stream"]
    assert [c["label"] for c in sent.rows[0]] == [f"⭐ {n}" for n in found]
    assert [c["label"] for c in sent.rows[1]] == ["🔄 more like this"]
    (styles,) = menus(sent)
    assert [o["label"] for o in styles["options"]] == ["elf"]
    assert styles["max_values"] == 1


async def test_twenty_names_get_a_save_menu_within_discords_limits(
    service: Service, fake: FakeDiscord
) -> None:
    async with running(service, fake):
        sent = await answer(fake, fake.slash("name", {"count": 20}))
    assert len(names(sent)) == 20
    assert len(sent.rows) <= 5 and all(len(r) <= 5 for r in sent.rows)
    save, styles = menus(sent)
    assert save["placeholder"] == "⭐ save…"
    assert [o["label"] for o in save["options"]] == names(sent)  # nothing dropped
    assert save["max_values"] == 20
    assert [o["label"] for o in styles["options"]] == ["elf"]
    assert list(buttons(sent)) == ["🔄 more like this"]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"temperature": 9.0}, "temperature must be a number between 0.1 and 3"),
        ({"count": 0}, "count must be a whole number from 1 to 20"),
        ({"style": "klingon"}, "unknown style 'klingon'"),
        ({"gender": "x"}, "gender must be female, male or any"),
        ({"length": "9-2"}, "len=9-2: the shortest must be at least 1"),
        ({"prefix": "Жук"}, "unknown letters in the prefix: Ж"),
    ],
)
async def test_bad_options_get_an_ephemeral_error(
    service: Service, fake: FakeDiscord, options: dict[str, Any], expected: str
) -> None:
    async with running(service, fake):
        sent = await answer(fake, fake.slash("name", options))
    assert sent.ephemeral
    assert sent.content.startswith("⚠️ ") and expected in sent.content


@pytest.mark.parametrize(
    ("command", "options", "expected", "private"),
    [
        ("styles", {}, "elf (female/male) — tiny test model", False),
        ("rate", {"name": "Margaret"}, "Margaret: ", False),
        ("rate", {"name": "Margaret", "style": "elf"}, "of the real elf names", False),
        ("rate", {"name": "Margaret", "style": "klingon"}, "⚠️ unknown style", True),
        ("fav", {"name": "Eldrin"}, "⭐ Saved Eldrin. You have 1 favourite.", True),
        ("favs", {}, "No favourites yet", True),
        ("favs", {"page": 0}, "⚠️ the page must be a whole number", True),
        ("unfav", {"name": "Nobody"}, "Nobody was not in your favourites", True),
        ("export", {}, "No favourites to export yet.", True),
        ("settings", {}, "Your defaults: style=english temperature=1 count=5", True),
        ("settings", {"style": "elf", "count": 3}, "Saved. Your defaults: style=elf", True),
        ("settings", {"temperature": 7.5}, "⚠️ temperature must be", True),
        ("reset", {}, "Your defaults are back to: style=english", True),
        ("help", {}, "/name — invent names", False),
        ("help", {"command": "name"}, "/name [prefix] [temperature]", False),
        ("stats", {}, "⚠️ /stats is for the bot's admins", True),
    ],
)
async def test_every_slash_command_answers(
    service: Service,
    fake: FakeDiscord,
    command: str,
    options: dict[str, Any],
    expected: str,
    private: bool,
) -> None:
    # The fake never had the commands synced: the tree answers them all the same.
    async with running(service, fake):
        sent = await answer(fake, fake.slash(command, options))
    assert sent.type == CALLBACK_MESSAGE
    assert expected in sent.content
    assert sent.ephemeral is private
    assert fake.synced == []


async def test_name_in_a_direct_message(service: Service, fake: FakeDiscord) -> None:
    async with running(service, fake):
        sent = await answer(fake, fake.slash("name", {"prefix": "Ka"}, guild=False))
        press = fake.press(sent, buttons(sent)["🔄 more like this"], guild=False)
        more = await answer(fake, press)
    assert all(n.startswith("Ka") for n in names(sent) + names(more))
    assert not set(names(sent)) & set(names(more))  # more like this never repeats a name


async def test_full_names_as_a_slash_option(
    service: Service, fake: FakeDiscord, tiny_model: NameModel
) -> None:
    service.engine.replace_style("surnames", tiny_model)  # english takes its family names there
    async with running(service, fake):
        sent = await answer(fake, fake.slash("name", {"count": 2, "full": True}))
    assert sent.embed is not None
    assert len(names(sent)) == 2
    assert all(len(n.split()) >= 2 for n in names(sent))  # given name and family name


async def test_export_is_an_ephemeral_file(service: Service, fake: FakeDiscord) -> None:
    async with running(service, fake):
        await answer(fake, fake.slash("fav", {"name": "Eldrin"}))
        sent = await answer(fake, fake.slash("export"))
    assert sent.ephemeral
    assert sent.content == "Your 1 favourite, one per line."
    # A typed favourite is tagged with the style it fits best: both test styles share one
    # model here, so the first in order wins.
    assert sent.files == {"namesmith-favourites.txt": b"Eldrin\telf\n"}


async def test_style_and_gender_autocomplete(service: Service, fake: FakeDiscord) -> None:
    async with running(service, fake):
        style = await answer(fake, fake.autocomplete("name", "style", "el"))
        gender = await answer(fake, fake.autocomplete("name", "gender", "", style="elf"))
    assert style.type == CALLBACK_CHOICES
    assert style.data["choices"] == [{"name": "elf — tiny test model", "value": "elf"}]
    assert [c["value"] for c in gender.data["choices"]] == ["female", "male", "any"]


# --- buttons and menus -----------------------------------------------------------------------


async def test_a_save_pressed_by_another_member_saves_to_their_favourites(
    service: Service, fake: FakeDiscord
) -> None:
    async with running(service, fake):
        sent = await answer(fake, fake.slash("name", {"count": 3}, user_id=1))
        first = names(sent)[0]
        saved = await answer(fake, fake.press(sent, buttons(sent)[f"⭐ {first}"], user_id=2))
    assert saved.ephemeral
    assert saved.content == f"⭐ Saved {first}. You have 1 favourite."
    assert await service.store.favourites.count("dc:2") == 1
    assert await service.store.favourites.count("dc:1") == 0


async def test_more_like_this_answers_the_member_who_pressed(
    service: Service, fake: FakeDiscord
) -> None:
    async with running(service, fake):
        sent = await answer(fake, fake.slash("name", {"prefix": "Ma", "count": 3}, user_id=1))
        more = await answer(fake, fake.press(sent, buttons(sent)["🔄 more like this"], user_id=2))
        # The new reply's buttons work for the group; user 2's save goes to user 2.
        again = await answer(
            fake, fake.press(more, buttons(more)[f"⭐ {names(more)[0]}"], user_id=2)
        )
    assert more.type == CALLBACK_MESSAGE and not more.ephemeral
    assert all(n.startswith("Ma") for n in names(more))
    assert not set(names(sent)) & set(names(more))
    assert again.content.startswith(f"⭐ Saved {names(more)[0]}")
    assert (await service.store.stats.snapshot()).users == 2  # names served to 1 and to 2


async def test_style_menu_asks_again_in_that_style(service: Service, fake: FakeDiscord) -> None:
    async with running(service, fake):
        sent = await answer(fake, fake.slash("name", {"prefix": "Ka", "temperature": 0.8}))
        (styles,) = menus(sent)
        value = styles["options"][0]["value"]
        elf = await answer(fake, fake.press(sent, styles["custom_id"], values=[value], user_id=3))
    assert elf.embed["footer"]["text"] == "elf"
    assert elf.embed["fields"][0]["value"] == "t=0.8 · starts Ka"
    assert not elf.ephemeral


async def test_save_menu_saves_every_name_chosen(service: Service, fake: FakeDiscord) -> None:
    async with running(service, fake):
        sent = await answer(fake, fake.slash("name", {"count": 20}, user_id=1))
        save = menus(sent)[0]
        chosen = [o["value"] for o in save["options"][:2]]
        saved = await answer(fake, fake.press(sent, save["custom_id"], values=chosen, user_id=4))
    first, second = names(sent)[:2]
    assert saved.ephemeral
    assert saved.content.splitlines() == [
        f"⭐ Saved {first}. You have 1 favourite.",
        f"⭐ Saved {second}. You have 2 favourites.",
    ]


async def test_one_users_commands_run_in_order(service: Service, fake: FakeDiscord) -> None:
    async with running(service, fake):
        asked = []
        for i in range(10):
            asked.append(fake.slash("fav", {"name": f"Name{i}"}))
            asked.append(fake.slash("unfav", {"name": f"Name{i}"}))
        for interaction in asked:
            await answer(fake, interaction)
        favs = await answer(fake, fake.slash("favs"))
    assert favs.content.startswith("No favourites yet")


async def test_favourite_pages_turn_in_place(service: Service, fake: FakeDiscord) -> None:
    for i in range(12):
        await service.store.favourites.add("dc:1", f"Name{i:02d}", style="english")
    async with running(service, fake):
        page1 = await answer(fake, fake.slash("favs"))
        page2 = await answer(fake, fake.press(page1, buttons(page1)["older ▶"]))
    assert page1.ephemeral and "page 1 of 2" in page1.content
    assert page2.type == CALLBACK_UPDATE  # the same message, edited
    assert "page 2 of 2" in page2.content
    assert list(buttons(page2)) == ["◀ newer"]


async def test_unfav_all_asks_first_and_only_the_asker_confirms(
    service: Service, fake: FakeDiscord
) -> None:
    await service.store.favourites.add("dc:1", "Eldrin", style="english")
    async with running(service, fake):
        ask = await answer(fake, fake.slash("unfav", {"name": "all"}))
        yes = buttons(ask)["Yes, forget all 1"]
        other = await answer(fake, fake.press(ask, yes, user_id=2))
        done = await answer(fake, fake.press(ask, yes, user_id=1))
    assert ask.ephemeral and "Forget all 1 of your favourites?" in ask.content
    assert other.ephemeral and other.content == "That button has expired; send the command again."
    assert done.content == "Forgot all 1 favourite."


async def test_buttons_keep_working_after_a_restart(
    service_factory: Callable[..., Awaitable[Service]], fake: FakeDiscord
) -> None:
    first = await service_factory()
    async with running(first, fake):
        sent = await answer(fake, fake.slash("name", {"count": 3}))
    name = names(sent)[1]
    second = await service_factory()  # a new process: new engine, new bot, same database
    async with running(second, fake):
        saved = await answer(fake, fake.press(sent, buttons(sent)[f"⭐ {name}"]))
    assert saved.content == f"⭐ Saved {name}. You have 1 favourite."
    assert len(fake.identified) == 2


# --- server defaults, admins, limits ---------------------------------------------------------


async def test_server_defaults_need_manage_server_or_the_admin_role(
    service: Service, fake: FakeDiscord
) -> None:
    async with running(service, fake, discord_admin_role="Dungeon Master"):
        refused = await answer(fake, fake.slash("settings", {"style": "elf", "server": True}))
        by_manager = await answer(
            fake,
            fake.slash("settings", {"count": 3, "server": True}, user_id=7, manage_guild=True),
        )
        by_role = await answer(
            fake,
            fake.slash("settings", {"style": "elf", "server": True}, user_id=8, roles=(ROLE_ID,)),
        )
        member = await answer(fake, fake.slash("name", user_id=9))
    assert refused.ephemeral and "only the group's admins" in refused.content
    assert by_manager.content.startswith("Saved. This group's defaults: style=english")
    assert by_role.content.startswith("Saved. This group's defaults: style=elf")
    assert member.embed["footer"]["text"] == "elf" and len(names(member)) == 3
    assert await service.store.settings.chat(f"dc:{GUILD_ID}") is not None


async def test_stats_for_a_bot_admin(service: Service, fake: FakeDiscord) -> None:
    service.admins = frozenset({"dc:999"})
    async with running(service, fake):
        await answer(fake, fake.slash("name", {"count": 4}, user_id=999))
        stats = await answer(fake, fake.slash("stats", user_id=999))
    assert stats.ephemeral and "Names served: 4" in stats.content


async def test_over_the_rate_limit_every_interaction_gets_an_ephemeral_slow_down(
    service_factory: Callable[..., Awaitable[Service]], fake: FakeDiscord
) -> None:
    service = await service_factory(limit=2)
    async with running(service, fake):
        answers = [await answer(fake, fake.slash("help", user_id=1)) for _ in range(4)]
        other = await answer(fake, fake.slash("help", user_id=2))
    assert [a.ephemeral for a in answers] == [False, False, True, True]
    assert all(a.content.startswith("Slow down a little") for a in answers[2:])
    assert other.content.startswith("/name — invent names")


# --- deferring, delivery ---------------------------------------------------------------------


async def test_slow_answers_are_deferred_then_followed_up(
    service: Service, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dc, "DEFER_AFTER", 0.0)  # every answer counts as slow
    async with running(service, fake):
        public = await fake.wait_answer(fake.slash("name", {"prefix": "Eld"}), 2)
        private = await fake.wait_answer(fake.slash("favs"), 2)
        error = await fake.wait_answer(fake.slash("name", {"prefix": "Жук"}), 3)
    assert [s.kind for s in public] == ["callback", "followup"]
    assert public[0].type == CALLBACK_DEFERRED and not public[0].ephemeral
    assert all(n.startswith("Eld") for n in names(public[1]))
    assert private[0].type == CALLBACK_DEFERRED and private[0].ephemeral
    assert private[1].content.startswith("No favourites yet")
    # Deferred in public, answered privately: the public "thinking…" goes away.
    assert [s.kind for s in error] == ["callback", "delete", "followup"]
    assert error[2].ephemeral and error[2].content.startswith("⚠️ ")


async def test_a_429_from_rest_loses_no_reply(service: Service, fake: FakeDiscord) -> None:
    fake.fail_next(r"/interactions/[0-9]+/[^/]+/callback$", 429, retry_after=0.2)
    async with running(service, fake):
        iid = fake.slash("help")
        sent = await answer(fake, iid)
    assert sent.content.startswith("/name — invent names")
    tries = [p for m, p in fake.requests if p.startswith(f"/interactions/{iid}/")]
    assert len(tries) == 2  # refused once with 429, then delivered


async def test_a_429_on_a_channel_message_loses_no_reply(
    service: Service, fake: FakeDiscord
) -> None:
    fake.fail_next(r"/channels/[0-9]+/messages$", 429, retry_after=0.2)
    async with running(service, fake):
        fake.say("!help", user_id=5)
        (sent,) = await fake.wait_sent(1, "message")
    assert sent.content.startswith("/name — invent names")
    assert fake.requests.count(("POST", f"/channels/{CHANNEL_ID}/messages")) == 2


# --- text commands ---------------------------------------------------------------------------


async def test_text_command_with_the_message_content_intent(
    service: Service, fake: FakeDiscord
) -> None:
    async with running(service, fake):
        fake.say("!name Eld 0.7 3", user_id=5)
        (sent,) = await fake.wait_sent(1, "message")
    assert int(fake.identified[0]["intents"]) & MESSAGE_CONTENT_INTENT
    assert sent.embed["fields"][0]["value"] == "t=0.7 · starts Eld"
    assert all(n.startswith("Eld") for n in names(sent)) and len(names(sent)) == 3
    assert sent.body["message_reference"]["fail_if_not_exists"] is False
    assert len(buttons(sent)) == 4


async def test_without_the_intent_text_is_ignored_and_slash_commands_work(
    service: Service,
) -> None:
    fake = FakeDiscord(message_content=False)
    await fake.start()
    try:
        async with running(service, fake):
            fake.say("!name Eld", user_id=5)
            sent = await answer(fake, fake.slash("name", {"prefix": "Eld"}))
    finally:
        await fake.stop()
    assert not int(fake.identified[0]["intents"]) & MESSAGE_CONTENT_INTENT
    assert [s.kind for s in fake.sent] == ["callback"]
    assert all(n.startswith("Eld") for n in names(sent))


async def test_sync_is_for_the_owner_only(service: Service, fake: FakeDiscord) -> None:
    async with running(service, fake):
        fake.say("!sync", user_id=5)
        (refused,) = await fake.wait_sent(1, "message")
        fake.say("!sync", user_id=OWNER_ID)
        synced = (await fake.wait_sent(2, "message"))[1]
        fake.say("!sync here", user_id=OWNER_ID)
        here = (await fake.wait_sent(3, "message"))[2]
    assert refused.content == "Only the bot's owner can sync its commands."
    assert synced.content.startswith("Synced 14 slash commands everywhere")
    assert here.content == "Synced 14 slash commands to this server."
    (everywhere, commands), (guild, _) = fake.synced
    assert everywhere is None and guild == GUILD_ID
    expected = {"name", "styles", "rate", "fav", "favs", "unfav", "export", "settings",
                "reset", "help", "stats", "retrain", "rollback", "audit"}  # fmt: skip
    assert {c["name"] for c in commands} == expected
    name = next(c for c in commands if c["name"] == "name")
    assert [o["name"] for o in name["options"]] == [
        "prefix", "temperature", "count", "style", "gender", "ends", "contains", "length", "new",
        "full",
    ]  # fmt: skip
    kinds = {o["name"]: o["type"] for o in name["options"]}
    assert (kinds["prefix"], kinds["temperature"], kinds["count"], kinds["new"]) == (3, 10, 4, 5)
    retrain = next(c for c in commands if c["name"] == "retrain")
    kinds = {o["name"]: o["type"] for o in retrain["options"]}
    assert kinds == {"style": 3, "file": 11, "corpus": 3, "seconds": 4, "force": 5, "action": 3}
    (action,) = [o for o in retrain["options"] if o["name"] == "action"]
    assert [c["value"] for c in action["choices"]] == ["start", "status", "cancel"]


async def test_sync_from_the_command_line(fake: FakeDiscord) -> None:
    n = await dc.sync_commands(config_for(fake), guild=GUILD_ID)
    assert n == 14
    assert [g for g, _ in fake.synced] == [GUILD_ID]
    assert fake.identified == []  # REST only: no gateway connection


# --- start and stop --------------------------------------------------------------------------


async def test_a_rejected_token_is_one_fatal_line(service: Service, fake: FakeDiscord) -> None:
    fake.token = "another-token"
    with pytest.raises(FatalError) as caught:
        async with running(service, fake):
            pass
    assert "Discord rejected the bot token (NAMESMITH_DISCORD_TOKEN)" in str(caught.value)
    assert TOKEN not in str(caught.value)


async def test_an_unreachable_api_is_fatal_after_retries(
    service: Service, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dc, "START_ATTEMPTS", 1)
    await fake.stop()  # nothing listens on its port any more
    with pytest.raises(FatalError, match="cannot reach the Discord API after 1 tries"):
        async with running(service, fake):
            pass


def _env(fake: FakeDiscord, tmp_path: Path) -> dict[str, str]:
    """`namesmith` configured from the environment alone, for the fake Discord."""
    return {k: v for k, v in os.environ.items() if not k.startswith("NAMESMITH_")} | {
        "NAMESMITH_DISCORD_TOKEN": TOKEN,
        "NAMESMITH_DISCORD_API_URL": fake.api_url,
        "NAMESMITH_DISCORD_GATEWAY_URL": fake.gateway_url,
        "NAMESMITH_DATABASE": str(tmp_path / "db.sqlite3"),
        "NAMESMITH_MODELS_DIR": str(tmp_path / "models"),
        "NAMESMITH_LOG_LEVEL": "DEBUG",
    }


async def _namesmith(env: dict[str, str], cwd: Path, *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        str(NAMESMITH), *args, env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_discord_sync_command_line(fake: FakeDiscord, tmp_path: Path) -> None:
    code, out, err = await _namesmith(
        _env(fake, tmp_path), tmp_path, "discord-sync", "--guild", str(GUILD_ID)
    )
    assert code == 0, err
    assert out == f"synced 14 slash commands to server {GUILD_ID}\n"
    assert [g for g, _ in fake.synced] == [GUILD_ID]


async def test_a_refused_sync_is_one_fatal_line(fake: FakeDiscord) -> None:
    fake.fail_next(r"/guilds/[0-9]+/commands$", 403, method="PUT")
    with pytest.raises(FatalError, match=r"Discord refused the commands \(HTTP 403"):
        await dc.sync_commands(config_for(fake), guild=GUILD_ID)


async def test_run_with_a_rejected_token_exits_1_with_one_line(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    fake.token = "another-token"
    code, _, err = await _namesmith(_env(fake, tmp_path), tmp_path, "run")
    assert code == 1
    last = err.strip().splitlines()[-1]
    assert last.startswith("namesmith: Discord rejected the bot token (NAMESMITH_DISCORD_TOKEN)")
    assert TOKEN not in err


async def test_run_serves_discord_alone_and_stops_cleanly_on_sigterm(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    env = _env(fake, tmp_path)
    fake.advertised_gateway = "ws://127.0.0.1:9/nowhere"  # only the configured one works
    proc = await asyncio.create_subprocess_exec(
        str(NAMESMITH), "run", env=env, cwd=tmp_path, stderr=asyncio.subprocess.PIPE
    )
    try:
        await fake.wait_ready()
        sent = await answer(fake, fake.slash("name", {"prefix": "Eld", "temperature": 0.7}))
        assert sent.embed["fields"][0]["value"] == "t=0.7 · starts Eld"
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 60)
    log = err.decode()
    assert proc.returncode == 0, log
    assert "stopped cleanly" in log
    assert "platform=discord command=name outcome=ok" in log
    assert TOKEN not in log
    assert "Traceback" not in log


# --- layout ----------------------------------------------------------------------------------


def _actions(saves: int, styles: int = 6) -> tuple[Action, ...]:
    out = [Action(Act.SAVE, f"N{i}", f"fav:1:{i}") for i in range(saves)]
    out.append(Action(Act.MORE, "more like this", "more:1"))
    return (*out, *(Action(Act.STYLE, f"s{i}", f"style:1:s{i}") for i in range(styles)))


@pytest.mark.parametrize(
    ("saves", "kinds"),
    [
        (1, ["buttons", "buttons", "style_menu"]),
        (5, ["buttons", "buttons", "style_menu"]),
        (15, ["buttons"] * 4 + ["style_menu"]),
        (16, ["save_menu", "buttons", "style_menu"]),
        (20, ["save_menu", "buttons", "style_menu"]),
        (30, ["save_menu", "save_menu", "buttons", "style_menu"]),
    ],
)
def test_layout_fits_discords_rows(saves: int, kinds: list[str]) -> None:
    laid = rows(_actions(saves))
    assert [r.kind.value for r in laid] == kinds
    assert sum(len(r.actions) for r in laid) == saves + 7  # every action is somewhere
    assert all(len(r.actions) <= 5 for r in laid if r.kind is RowKind.BUTTONS)
    assert all(len(r.actions) <= 25 for r in laid)


def test_long_text_is_split_at_lines_within_2000_characters() -> None:
    text = "\n".join(f"line {i} " + "x" * 90 for i in range(60))
    pieces = chunks(text)
    assert all(len(p) <= 2000 for p in pieces)
    assert "\n".join(pieces) == text
    assert chunks("y" * 4500) == ["y" * 2000, "y" * 2000, "y" * 500]


async def test_a_token_revoked_while_running_is_fatal(service: Service, fake: FakeDiscord) -> None:
    with pytest.raises(FatalError, match="rejected the bot token while running"):
        async with running(service, fake) as bot:
            await fake.disconnect(4004)
            await asyncio.wait_for(bot, 20)  # it stops on its own


async def test_an_unreachable_gateway_is_fatal_after_retries(
    service: Service, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dc, "START_ATTEMPTS", 1)
    fake.advertised_gateway = "ws://127.0.0.1:9/nowhere"  # nothing listens there
    with pytest.raises(FatalError, match="cannot reach the Discord gateway after 1 tries"):
        async with running(service, fake):
            pass


async def test_shards_split_the_servers(service: Service, fake: FakeDiscord) -> None:
    # With a shard count set, discord.py connects to the configured gateway (not /gateway/bot).
    async with running(service, fake, discord_shards=2, discord_gateway_url=fake.gateway_url):
        sent = await answer(fake, fake.slash("help"))
        await asyncio.sleep(0.2)  # a second shard answering too would show by now
    assert sorted(i["shard"] for i in fake.identified) == [[0, 2], [1, 2]]
    assert [s.kind for s in fake.sent] == ["callback"]
    assert sent.content.startswith("/name — invent names")


def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(__file__).parent)  # no .env here
    for key in os.environ:
        if key.startswith("NAMESMITH_"):
            monkeypatch.delenv(key)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DISCORD_PREFIX": "/"}, "NAMESMITH_DISCORD_PREFIX: must be a few visible characters"),
        ({"DISCORD_API_URL": "discord.com"}, "NAMESMITH_DISCORD_API_URL: must be an http(s) URL"),
        ({"DISCORD_GATEWAY_URL": "http://x"}, "NAMESMITH_DISCORD_GATEWAY_URL: must be a ws(s)"),
        ({"DISCORD_SHARDS": "0"}, "NAMESMITH_DISCORD_SHARDS: Input should be greater than"),
        (
            {"DISCORD_SHARD_IDS": "0,1"},
            "NAMESMITH_DISCORD_SHARD_IDS needs NAMESMITH_DISCORD_SHARDS",
        ),
        ({"DISCORD_SHARDS": "2", "DISCORD_SHARD_IDS": "1,2"}, "distinct shard numbers from 0 to 1"),
    ],
)
def test_discord_settings_are_checked(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    from bot.config import ConfigError, load

    _clean_environment(monkeypatch)
    for key, value in env.items():
        monkeypatch.setenv(f"NAMESMITH_{key}", value)
    with pytest.raises(ConfigError) as caught:
        load()
    assert expected in str(caught.value)


def test_discord_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.config import load

    _clean_environment(monkeypatch)
    monkeypatch.setenv("NAMESMITH_DISCORD_SHARDS", "4")
    monkeypatch.setenv("NAMESMITH_DISCORD_SHARD_IDS", "2, 3")
    monkeypatch.setenv("NAMESMITH_DISCORD_API_URL", "https://proxy.example/api/v10/")
    config = load()
    assert (config.discord_shards, config.discord_shard_ids) == (4, [2, 3])
    assert config.discord_api_url == "https://proxy.example/api/v10"
    assert (config.discord_prefix, config.discord_gateway_url) == ("!", None)
