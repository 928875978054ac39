"""The slash commands and `!sync`, through the real discord.py client against the fake
Discord: typed options meet the grammar's checks, every command answers, autocomplete."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.service import Service
from engine.serving.trained import NameModel
from tests.bot.adapters.discord.conftest import (
    CALLBACK_CHOICES,
    CALLBACK_MESSAGE,
    answer,
    buttons,
    menus,
    names,
    running,
)
from tests.fakes.discord import GUILD_ID, OWNER_ID, FakeDiscord

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
        ({"gender": "x"}, "gender must be female, male, neutral or any"),
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


# --- every command ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "options", "expected", "private"),
    [
        ("styles", {}, "elf (female/male) — tiny test model", True),
        ("styles", {"about": "elf"}, "elf — tiny test model\ngenders: female, male", True),
        ("styles", {"about": "klingon"}, "⚠️ /styles takes a group", True),
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
        ("help", {}, "/name — invent names", True),
        ("help", {"command": "name"}, "/name [prefix] [temperature]", True),
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
        sent = await answer(fake, fake.slash("export", {"format": "txt"}))
    assert sent.ephemeral
    assert sent.content == "Your 1 favourite as a list of names (also: /export csv or /export md)."
    assert sent.files == {"namesmith-favourites.txt": b"Eldrin\n"}


async def test_a_favourite_with_tags_and_a_note_then_edited(
    service: Service, fake: FakeDiscord
) -> None:
    async with running(service, fake):
        saved = await answer(
            fake, fake.slash("fav", {"name": "Eldrin", "tags": "#book2, bard", "note": "sings"})
        )
        tagged = await answer(fake, fake.slash("tag", {"name": "1", "remove": "bard"}))
        noted = await answer(fake, fake.slash("note", {"name": "Eldrin", "note": "hums"}))
        listed = await answer(fake, fake.slash("favs", {"tag": "book2"}))
    assert saved.ephemeral and saved.content.startswith("⭐ Saved Eldrin #book2 #bard — sings.")
    # A typed favourite is marked with the style it fits best: both test styles share one
    # model here, so the first in order wins.
    assert tagged.content == "🏷 Eldrin (elf) #book2 — sings"
    assert noted.content == "📝 Eldrin (elf) #book2 — hums"
    assert listed.content.splitlines()[1] == "1. Eldrin (elf) #book2 — hums"


async def test_style_and_gender_autocomplete(service: Service, fake: FakeDiscord) -> None:
    async with running(service, fake):
        style = await answer(fake, fake.autocomplete("name", "style", "el"))
        gender = await answer(fake, fake.autocomplete("name", "gender", "", style="elf"))
    assert style.type == CALLBACK_CHOICES
    assert style.data["choices"] == [{"name": "elf — tiny test model", "value": "elf"}]
    assert [c["value"] for c in gender.data["choices"]] == ["female", "male", "any"]


async def test_autocomplete_offers_blends_and_neutral_on_a_shared_model(
    shared_service: Service, fake: FakeDiscord
) -> None:
    async with running(shared_service, fake):
        half = await answer(fake, fake.autocomplete("name", "style", "half"))
        typed = await answer(fake, fake.autocomplete("name", "style", "elf+eng"))
        gender = await answer(fake, fake.autocomplete("name", "gender", "", style="elf"))
        named = await answer(fake, fake.slash("name", {"style": "half-elf", "like": "Arwen"}))
        blend = await answer(
            fake, fake.slash("name", {"style": "elf+english", "like": "Arwen", "gender": "n"})
        )
    # half-elf is elf + human; this shared model has no human style, so it is not offered.
    assert half.data["choices"] == []
    assert typed.data["choices"][0] == {"name": "elf+eng — a blend", "value": "elf+eng"}
    assert [c["value"] for c in gender.data["choices"]] == ["female", "male", "neutral", "any"]
    assert "unknown style 'human' in the blend (in 'half-elf')" in named.content
    assert blend.embed["footer"]["text"] == "a blend of elf 50% + english 50%"
    assert blend.embed["fields"][0]["value"].startswith("neutral · t=1 · like Arwen")


# --- !sync -----------------------------------------------------------------------------------


async def test_sync_is_for_the_owner_only(service: Service, fake: FakeDiscord) -> None:
    async with running(service, fake):
        fake.say("!sync", user_id=5)
        (refused,) = await fake.wait_sent(1, "message")
        fake.say("!sync", user_id=OWNER_ID)
        synced = (await fake.wait_sent(2, "message"))[1]
        fake.say("!sync here", user_id=OWNER_ID)
        here = (await fake.wait_sent(3, "message"))[2]
    assert refused.content == "Only the bot's owner can sync its commands."
    assert synced.content.startswith("Synced 18 slash commands everywhere")
    assert here.content == "Synced 18 slash commands to this server."
    (everywhere, commands), (guild, _) = fake.synced
    assert everywhere is None and guild == GUILD_ID
    expected = {"name", "npc", "party", "styles", "rate", "fav", "favs", "note", "tag", "unfav",
                "export", "settings", "reset", "help", "stats", "retrain", "rollback",
                "audit"}  # fmt: skip
    assert {c["name"] for c in commands} == expected
    name = next(c for c in commands if c["name"] == "name")
    assert [o["name"] for o in name["options"]] == [
        "prefix", "temperature", "count", "style", "gender", "ends", "contains", "length", "new",
        "full", "like", "country", "table",
    ]  # fmt: skip
    kinds = {o["name"]: o["type"] for o in name["options"]}
    assert (kinds["prefix"], kinds["temperature"], kinds["count"], kinds["new"]) == (3, 10, 4, 5)
    retrain = next(c for c in commands if c["name"] == "retrain")
    kinds = {o["name"]: o["type"] for o in retrain["options"]}
    assert kinds == {"style": 3, "file": 11, "corpus": 3, "seconds": 4, "force": 5, "action": 3}
    (action,) = [o for o in retrain["options"] if o["name"] == "action"]
    assert [c["value"] for c in action["choices"]] == ["start", "status", "cancel", "remove"]


async def test_a_command_this_version_no_longer_has_is_said_so(
    service: Service, fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    async with running(service, fake):
        sent = await answer(fake, fake.slash("oldname", {"prefix": "Eld"}))
    assert sent.ephemeral and sent.content.startswith("That command is not in this version")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
