"""/name and its buttons, /rate and /styles, through the service alone."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from bot import actions
from bot.actions import Act
from bot.reply import Reply
from bot.service import Service
from bot.service.names import command_line, settings_line
from engine.corpora.sources import TOWN_LISTS
from engine.serving.sampling import GenerationRequest
from engine.serving.shared import SharedModel
from engine.serving.trained import NameModel
from storage import DatabaseUnavailable, StorageFull
from tests.bot.builders import GROUP, OTHER, ctx, request


async def _names(service: Service, text: str, **where: object) -> Reply:
    reply = await service.on_text(ctx(**where), text)  # type: ignore[arg-type]
    assert reply is not None and reply.names is not None, reply
    return reply


async def test_a_names_reply_says_what_it_is_then_lists_the_names(service: Service) -> None:
    reply = await _names(service, "/name Eld 0.7 4")
    assert reply.names is not None
    header, *names = reply.text.splitlines()
    assert header == "english · t=0.7 · starts Eld"
    assert names == [reply.names.marked(n) for n in reply.names.names]
    assert len(names) == 4 and all(n.startswith("Eld") for n in names)
    assert not reply.private  # a group sees the names it asked for


async def test_a_names_reply_offers_save_more_and_every_other_style(service: Service) -> None:
    reply = await _names(service, "/name 3")
    assert reply.names is not None
    assert [a.label for a in reply.of(Act.SAVE)] == list(reply.names.names)
    assert [a.label for a in reply.of(Act.MORE)] == ["more like this"]
    assert [a.label for a in reply.of(Act.STYLE)] == ["elf"]
    assert all(actions.parse(a.data) is not None for a in reply.actions)


async def test_hints_are_notes_beside_the_names_not_inside_them(service: Service) -> None:
    reply = await _names(service, "/name elven")
    assert reply.notes == (
        "elven is not a style, so names start with Elven; for a style, try /name elf",
    )
    assert "elven is not a style" not in reply.text
    assert reply.plain.endswith(f"\n({reply.notes[0]})")


async def test_fewer_names_than_asked_come_with_the_reason(service: Service) -> None:
    reply = await _names(service, "/name ends=qqqq 3")
    assert reply.names is not None and reply.names.names == ()
    assert reply.text.endswith("(no names found)")
    assert reply.notes and "end with 'qqqq'" in reply.notes[0]


async def test_with_a_full_disk_names_come_without_buttons_and_say_so(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def full(*args: object, **kwargs: object) -> str:
        raise StorageFull("the disk is full")

    monkeypatch.setattr(service.store.replies, "add", full)
    reply = await _names(service, "/name 3")
    assert reply.actions == () and reply.buttons_off
    assert len(reply.text.splitlines()) == 4  # the header and the names, nothing else
    assert reply.plain.splitlines()[-1].startswith("(buttons are off")


@pytest.mark.parametrize(
    ("text", "header"),
    [
        ("/name", "english · t=1"),
        ("/name elf", "elf · t=1 · new"),  # invented worlds: new names by default from t=0.5
        ("/name elf 0.3", "elf · t=0.3"),
        ("/name elf new=no", "elf · t=1"),
        ("/name eld", "english · t=1 · starts Eld"),  # the prefix as the names write it
        ("/name female len=4-6 contains=an", "english · female · t=1 · contains an · len 4-6"),
        ("/name gender=any", "english · t=1"),
    ],
)
async def test_the_header_names_every_option_used(service: Service, text: str, header: str) -> None:
    reply = await _names(service, text)
    assert reply.text.splitlines()[0] == header


async def test_saved_defaults_fill_what_the_command_leaves_out(service: Service) -> None:
    await service.on_text(ctx(), "/settings style=elf temperature=0.4 count=2 gender=f")
    reply = await _names(service, "/name")
    assert reply.text.splitlines()[0] == "elf · female · t=0.4"
    assert reply.names is not None and len(reply.names.names) == 2


async def test_more_like_this_never_repeats_a_name_it_showed(service: Service) -> None:
    reply = await _names(service, "/name 5")
    assert reply.names is not None
    seen = list(reply.names.names)
    for _ in range(3):
        (more,) = reply.of(Act.MORE)
        reply = await service.on_button(ctx(), more.data)  # type: ignore[assignment]
        assert reply is not None and reply.names is not None
        assert not set(reply.names.names) & set(seen)
        seen += reply.names.names


async def test_another_style_asks_the_same_again_in_that_style(service: Service) -> None:
    reply = await _names(service, "/name Eld 0.7 2")
    (elf,) = reply.of(Act.STYLE)
    again = await service.on_button(ctx(), elf.data)
    assert again is not None
    assert again.text.splitlines()[0] == "elf · t=0.7 · starts Eld"


async def test_a_private_replys_buttons_are_its_owners(service: Service) -> None:
    reply = await _names(service, "/name 2")
    pressed = await service.on_button(ctx(OTHER), reply.of(Act.MORE)[0].data)
    assert pressed is not None and "expired" in pressed.text


async def test_a_group_replys_buttons_are_the_groups(service: Service) -> None:
    reply = await _names(service, "/name 2", chat=GROUP)
    member = await service.on_button(ctx(OTHER, GROUP), reply.of(Act.MORE)[0].data)
    elsewhere = await service.on_button(ctx(OTHER), reply.of(Act.MORE)[0].data)
    assert member is not None and member.names is not None
    assert elsewhere is not None and "expired" in elsewhere.text


@pytest.mark.parametrize(
    "data",
    ["", "fav", "fav:", "more:", "more:../../x", "fav:AAAAAAAAAAAAAAAAAAAAAA:0", "style:x:elf",
     "fav:" + "9" * 5000 + ":0", "favs:0", "favs:²", "zap:AAAAAAAAAAAAAAAAAAAAAA"],
)  # fmt: skip
async def test_a_forged_or_expired_button_says_expired(service: Service, data: str) -> None:
    reply = await service.on_button(ctx(), data)
    assert reply is not None and reply.private
    assert "expired" in reply.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/rate Anna", "more name-like than"),
        ("/rate Anna elf", "of the real elf names"),
        ("/rate Mary Jane female", "Together: "),
        ("/rate Zq☃", "(the english style never uses ☃"),
    ],
)
async def test_rate(service: Service, text: str, expected: str) -> None:
    reply = await service.on_request(ctx(), request(text))
    assert reply is not None and expected in reply.text


def test_the_settings_line_of_a_request() -> None:
    r = GenerationRequest(
        style="elf", prefix="Eld", temperature=0.7, label="female", ends_with="iel",
        min_len=4, max_len=None, new_only=True, full=True, filter=False,
    )  # fmt: skip
    assert settings_line(r) == (
        "female · t=0.7 · starts Eld · ends iel · len 4- · new · full · unfiltered"
    )


async def test_real_names_are_marked_and_the_mark_explained(service: Service) -> None:
    # a cool temperature and 20 names: some are real ones (10 at 0.3 once found none)
    reply = await _names(service, "/name 0.2 20 new=no")
    assert reply.names is not None and reply.names.real  # the tiny model repeats its list here
    lines = reply.text.splitlines()[1:]
    for name, line in zip(reply.names.names, lines, strict=True):
        assert line == (f"{name} ✓" if name in reply.names.real else name)
    assert "(✓ a real name from the english list; the others are invented)" in reply.asides


async def test_new_names_need_no_legend(service: Service) -> None:
    reply = await _names(service, "/name 5 new")
    assert reply.names is not None and not reply.names.real
    assert not any("✓" in line for line in reply.plain.splitlines())


async def test_when_options_find_too_few_the_reply_says_which_to_drop(service: Service) -> None:
    reply = await _names(service, "/name 0.7 8 ends=qx contains=an")
    assert reply.names is not None and len(reply.names.names) < 8
    assert any(n.startswith("without ends=qx there are more: /name english 0.7 8 contains=an")
               for n in reply.notes)  # fmt: skip
    labels = [a.label for a in reply.of(Act.MORE)]
    assert labels == ["without ends=qx"]  # and no 🔄 that cannot find more
    wider = await service.on_button(ctx(), reply.of(Act.MORE)[0].data)
    assert wider is not None and wider.names is not None and len(wider.names.names) == 8
    assert wider.text.splitlines()[0] == "english · t=0.7 · contains an"


def test_a_request_as_the_command_that_asks_for_it() -> None:
    r = GenerationRequest(
        style="elf", prefix="Eld", temperature=1.0, count=8, label="female", contains="th",
        min_len=4, max_len=8, new_only=False, full=False,
    )  # fmt: skip
    assert command_line(r) == "/name elf 1.0 8 female prefix=Eld contains=th len=4-8 new=no"


async def test_names_come_with_the_defaults_when_settings_cannot_be_read(
    service: Service, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def down(*args: object, **kwargs: object) -> None:
        raise DatabaseUnavailable("cannot reach the database at db:5432")

    monkeypatch.setattr(service.store.settings, "user", down)
    reply = await _names(service, "/name Eld 3")
    assert reply.names is not None and len(reply.names.names) == 3
    assert reply.text.splitlines()[0] == "english · t=1 · starts Eld"
    assert any("serving names with the defaults" in r.getMessage() for r in caplog.records)


@contextlib.contextmanager
def _immutable(*paths: Path) -> Iterator[None]:
    """Files and folders no one may change, not even root, until the block ends."""
    there = [p for p in paths if p.exists()]
    if shutil.which("chattr") is None or os.geteuid() != 0:
        pytest.skip("needs chattr and root to make files immutable")
    subprocess.run(["chattr", "+i", *map(str, there)], check=True)
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", *map(str, there)], check=True)


async def test_a_database_turned_immutable_still_gives_names_and_says_why_no_buttons(
    service: Service, tmp_path: Path
) -> None:
    await service.on_text(ctx(), "/fav Anna")  # the database is in use, its -wal and -shm exist
    db = tmp_path / "namesmith.sqlite3"
    files = [db, Path(f"{db}-wal"), Path(f"{db}-shm"), tmp_path]
    with _immutable(*files):
        names = await service.on_text(ctx(), "/name 3")
        saved = await service.on_text(ctx(), "/fav Bea")
    assert names is not None and names.names is not None and len(names.names.names) == 3
    assert names.buttons_off and names.actions == ()
    assert saved is not None and saved.text.startswith("⚠️ Nothing can be saved right now")


# --- blends, neutral names, names like a given one (a service on a shared model) ------------


async def test_a_blend_is_served_and_its_reply_says_what_was_blended(
    shared_service: Service,
) -> None:
    reply = await _names(shared_service, "/name elf:70+english:30 4")
    header = reply.text.splitlines()[0]
    assert header.startswith("a blend of elf 70% + english 30% · ")
    assert reply.names is not None and len(reply.names.names) == 4
    # A blend saves like any style: the ⭐ button carries it.
    assert len(reply.of(Act.SAVE)) == 4


async def test_an_unknown_part_of_a_blend_gets_did_you_mean(shared_service: Service) -> None:
    reply = await shared_service.on_text(ctx(), "/name elf+englsh")
    assert reply is not None and "unknown style 'englsh' in the blend; did you mean english?" in (
        reply.text
    )


async def test_neutral_names_where_the_style_has_genders(shared_service: Service) -> None:
    reply = await _names(shared_service, "/name english neutral 3")
    assert reply.text.splitlines()[0].startswith("english · neutral · ")
    refused = await shared_service.on_text(ctx(), "/name italian-surnames gender=n")
    assert refused is not None and "has no gender-neutral names" in refused.text


async def test_like_a_name_without_a_style_picks_the_style_it_fits(
    shared_service: Service,
) -> None:
    reply = await _names(shared_service, "/name like=Galadriel 5")
    header = reply.text.splitlines()[0]
    assert "like Galadriel" in header
    assert reply.names is not None and "Galadriel" not in reply.names.names


async def test_like_favs_uses_your_favourites_and_says_when_you_have_none(
    shared_service: Service,
) -> None:
    reply = await shared_service.on_text(ctx(), "/name like=favs")
    assert reply is not None and "you have none yet" in reply.text
    await shared_service.on_text(ctx(), "/fav Rosalind")
    await shared_service.on_text(ctx(), "/fav Rosamund")
    reply = await _names(shared_service, "/name english like=favs 4")
    assert (
        "like Rosamund, Rosalind" in reply.text.splitlines()[0]
        or "like Rosalind, Rosamund" in (reply.text.splitlines()[0])
    )
    assert not {"Rosalind", "Rosamund"} & set(reply.names.names if reply.names else ())


async def test_a_saved_neutral_default_is_skipped_where_a_style_has_none(
    shared_service: Service,
) -> None:
    await shared_service.on_text(ctx(), "/settings gender=n")
    reply = await _names(shared_service, "/name italian-surnames 3")
    assert reply.names is not None and len(reply.names.names) == 3


async def test_more_like_this_keeps_a_blend_and_the_name_to_resemble(
    shared_service: Service,
) -> None:
    reply = await _names(shared_service, "/name elf+english like=Arwen 3")
    (more,) = reply.of(Act.MORE)
    again = await shared_service.on_button(ctx(), more.data)
    assert again is not None and again.names is not None
    header = again.text.splitlines()[0]
    assert header.startswith("a blend of elf 50% + english 50% · ") and "like Arwen" in header
    assert not set(again.names.names) & set(reply.names.names if reply.names else ())


# --- towns by country and a d20 table (the shipped model: towns have countries) ------------


@pytest.fixture
async def shipped_service(service_factory: Callable[..., Awaitable[Service]]) -> Service:
    from engine.serving.registry import PACKAGED_MODELS, load_folder

    return await service_factory(models=load_folder(PACKAGED_MODELS))


async def test_towns_of_one_country_by_word_or_option(shipped_service: Service) -> None:
    for text in ("/name towns polish 4", "/name towns country=polish 4"):
        reply = await _names(shipped_service, text)
        assert reply.text.splitlines()[0].startswith("towns · polish · ")
        assert reply.names is not None and len(reply.names.names) == 4
    refused = await shipped_service.on_text(ctx(), "/name towns country=polsh")
    assert refused is not None
    assert "unknown label 'polsh' (did you mean polish?) for the towns style" in refused.text
    # every country the source has a town list of, Russia and Ukraine in Cyrillic
    assert shipped_service.countries("towns") == sorted(TOWN_LISTS)
    ukrainian = await _names(shipped_service, "/name towns ukrainian 4")
    assert ukrainian.names is not None
    assert all("\u0400" <= n[0] <= "\u04ff" for n in ukrainian.names.names)
    assert shipped_service.genders("towns") == ["any"]  # countries are not genders


async def test_a_table_numbers_twenty_names_to_roll_on(shipped_service: Service) -> None:
    reply = await _names(shipped_service, "/table elf")
    header, *rows = reply.text.splitlines()
    assert header.startswith("d20 · elf · ")
    assert len(rows) == 20 and rows[0].startswith(" 1. ") and rows[19].startswith("20. ")
    small = await _names(shipped_service, "/name dwarf table 6")
    assert small.text.splitlines()[0].startswith("d6 · dwarf · ")


async def test_taverns_ships_and_shops_with_invented_proper_names(
    shipped_service: Service,
) -> None:
    reply = await _names(shipped_service, "/name tavern 8")
    assert reply.text.splitlines()[0].startswith("tavern · t=1")
    assert reply.names is not None and len(reply.names.names) == 8
    assert all(n.startswith("The ") or "'s " in n for n in reply.names.names)
    ship = await _names(shipped_service, "/name ship 0.8 5")
    assert ship.names is not None and len(ship.names.names) == 5
    refused = await shipped_service.on_text(ctx(), "/name tavern Eld")
    assert refused is not None
    assert "tavern names take a count and a temperature, not a prefix" in refused.text


async def test_styles_are_listed_in_groups_with_places_and_blends(
    shipped_service: Service,
) -> None:
    reply = await shipped_service.on_text(ctx(), "/styles")
    assert reply is not None
    text = reply.text
    heads = [line for line in text.splitlines() if line.startswith("— ")]
    assert heads == ["— fantasy —", "— cultures —", "— family names —", "— places —"]
    assert "tavern — tavern names" in text and "half-elf = elf + human" in text
    assert "half-orc = orc + human" in text
    # Each group is one paragraph that fits one message on every platform (Discord: 2,000),
    # so a platform splitting the answer splits between groups, never inside one.
    groups = text.split("\n\n")
    assert [g.splitlines()[0] for g in groups[:4]] == heads
    assert all(len(g) <= 2000 for g in groups)
    assert "greek (f/m): " in text and "chinese: " in text  # compact: genders, three samples
    assert "pynames (BSD-3-Clause)" in text and "dnd-name-generator (MIT)" in text


async def test_styles_of_a_group_or_one_style_say_where_the_names_come_from(
    shipped_service: Service,
) -> None:
    cultures = await shipped_service.on_text(ctx(), "/styles cultures")
    assert cultures is not None
    assert cultures.text.startswith("— cultures —")
    assert "greek (female/male) — Greek first names, in Greek script (faker's el_GR lists)" in (
        cultures.text
    )
    card = await shipped_service.on_text(ctx(), "/styles greek")
    assert card is not None
    lines = card.text.splitlines()
    assert lines[0] == "greek — Greek first names, in Greek script (faker's el_GR lists)"
    assert "genders: female, male" in lines
    assert "full names: /name greek full (family names from greek-surnames)" in lines
    assert "source: the faker package (MIT licence)" in lines
    assert lines[-1].startswith("e.g. ") and len(lines[-1].split(", ")) == 5
    orc = await shipped_service.on_text(ctx(), "/styles orc")
    assert orc is not None and "full names: /name orc full (orc clan names" in orc.text


def test_the_style_menu_finds_any_style_by_name_or_description(shipped_service: Service) -> None:
    menu = shipped_service.style_menu
    assert [v for v, _ in menu("")][:5] == ["dnd-elf", "dragonborn", "dwarf", "elf", "goblin"]
    assert [v for v, _ in menu("greek")][:2] == ["greek", "greek-surnames"]
    assert {"hindi", "nepali"} <= {v for v, _ in menu("devanagari")}
    assert [v for v, _ in menu("half")][:2] == ["half-elf", "half-orc"]
    assert menu("elf+orc")[0] == ("elf+orc", "elf+orc — a blend")
    assert ("cultures", "cultures — the group, each style described") in menu("cult", groups=True)
    # /styles takes groups and styles, no blends: the groups come first
    topics = [v for v, _ in menu("", groups=True)]
    assert topics[:4] == ["fantasy", "cultures", "family names", "places"]
    assert "half-elf" not in topics and "half-elf" not in [v for v, _ in menu("half", groups=True)]


@pytest.mark.parametrize(
    ("text", "first_line"),
    [
        ("/name orc 3", "orc · "),
        ("/name half-orc 3", "half-orc (orc 50% + human 50%) · "),
        ("/name tiefling female 3", "tiefling · female · "),
        ("/name greek 3", "greek · "),
        ("/name thai full 3", "thai · t=1 · full"),
    ],
)
async def test_new_races_and_cultures_answer(
    shipped_service: Service, text: str, first_line: str
) -> None:
    reply = await _names(shipped_service, text)
    assert reply.text.splitlines()[0].startswith(first_line), reply.text
    assert reply.names is not None and len(reply.names.names) == 3


async def test_dragonborn_and_orcs_have_clan_names(shipped_service: Service) -> None:
    for race in ("dragonborn", "orc", "dnd-elf"):
        reply = await _names(shipped_service, f"/name {race} full 4")
        assert reply.names is not None and len(reply.names.names) == 4
        assert all(len(n.split()) == 2 for n in reply.names.names), reply.names.names
    npc = await shipped_service.on_text(ctx(), "/npc tiefling male")
    assert npc is not None and "tiefling, male" in npc.text


async def test_a_party_names_each_member_with_race_gender_and_family(
    shipped_service: Service,
) -> None:
    reply = await shipped_service.on_text(ctx(), "/party elf dwarf halfling human half-elf")
    assert reply is not None
    header, *rows = reply.text.splitlines()
    assert header == "party of 5" and len(rows) == 5
    races = ["elf", "dwarf", "halfling", "human", "half-elf (elf 50% + human 50%)"]
    for i, (row, race) in enumerate(zip(rows, races, strict=True), 1):
        name, _, what = row.removeprefix(f"{i}. ").partition(" — ")
        assert what.startswith(race) and what.rsplit(", ", 1)[1] in ("female", "male")
        assert len(name.split()) >= 2  # a given name and a family name
    assert " of House " in rows[0] and " of House " in rows[4]
    # ⭐ saves a member with its own race; 🔄 rolls a new party of the same members.
    saves = reply.of(Act.SAVE)
    assert len(saves) == 5
    await shipped_service.on_button(ctx(), saves[1].data)
    (favourite,) = await shipped_service.store.favourites.all(ctx().user)
    assert favourite.style == "dwarf"
    (again,) = reply.of(Act.MORE)
    rolled = await shipped_service.on_button(ctx(), again.data)
    assert rolled is not None and rolled.text.splitlines()[0] == "party of 5"


async def test_an_npc_and_bad_parties_say_what_is_allowed(shipped_service: Service) -> None:
    npc = await shipped_service.on_text(ctx(), "/npc dwarf female")
    assert npc is not None and npc.text.endswith(" — dwarf, female")
    for text, said in (
        ("/party 9", "a party has 1 to 8 members"),
        ("/party", "name the party's members (up to 8)"),
        ("/party elf dwraf", "unknown style 'dwraf'; did you mean dwarf?"),
        ("/party " + "elf " * 9, "a party has at most 8 members; 9 were given"),
        ("/npc dwarf nonsense", "/npc takes a race and a gender"),
    ):
        reply = await shipped_service.on_text(ctx(), text)
        assert reply is not None, text
        assert said in reply.text, (text, reply.text)


# --- what a review pass found: each case fails without its fix ------------------------------


async def test_neutral_full_names_and_a_default_gender_where_a_style_cannot_take_it(
    shipped_service: Service,
) -> None:
    full = await _names(shipped_service, "/name english neutral full 3")
    assert full.names is not None and all(" " in n for n in full.names.names)
    await shipped_service.on_text(ctx(), "/settings gender=f")
    towns = await _names(shipped_service, "/name towns 3")  # a default gender, not a country
    assert towns.names is not None and len(towns.names.names) == 3
    elf = await _names(shipped_service, "/name elf f 2")
    (to_towns,) = [a for a in elf.of(Act.STYLE) if a.label == "towns"]
    moved = await shipped_service.on_button(ctx(), to_towns.data)
    assert moved is not None and moved.names is not None and len(moved.names.names) == 2


async def test_a_typed_blend_that_cannot_be_made_is_refused_not_swapped(
    service_factory: Callable[..., Awaitable[Service]],
    tiny_shared: SharedModel,
    tiny_model: NameModel,
) -> None:
    svc = await service_factory(models={**tiny_shared.models(), "solo": tiny_model})
    reply = await svc.on_text(ctx(), "/name elf+solo 3")
    assert reply is not None and "solo cannot be blended: it was trained from scratch" in reply.text


async def test_party_saves_each_gender_npc_and_table_buttons_keep_their_kind(
    shipped_service: Service,
) -> None:
    npc = await shipped_service.on_text(ctx(), "/npc dwarf")
    assert npc is not None and npc.names is not None
    gender = npc.text.rsplit(", ", 1)[1]
    await shipped_service.on_button(ctx(), npc.of(Act.SAVE)[0].data)
    (saved,) = await shipped_service.store.favourites.all(ctx().user)
    assert (saved.style, saved.label) == ("dwarf", gender)
    another = await shipped_service.on_button(ctx(), npc.of(Act.MORE)[0].data)
    assert another is not None and " — dwarf, " in another.text
    assert not another.text.startswith("party")
    # On Discord the lines say race and gender, not the names alone.
    assert npc.names.lines == (npc.text,) and npc.names.title == "a character"
    table = await _names(shipped_service, "/table elf 4")
    rolled = await shipped_service.on_button(ctx(), table.of(Act.MORE)[0].data)
    assert rolled is not None and rolled.text.splitlines()[1].startswith(" 1. ")
    (dwarves,) = [a for a in table.of(Act.STYLE) if a.label == "dwarf"]
    moved = await shipped_service.on_button(ctx(), dwarves.data)
    assert moved is not None and moved.text.startswith("d4 · dwarf · ")
    for text, said in (
        ("/npc elf any", " — elf, "),
        ("/party tavern", "tavern is a kind of place, not a race"),
        ("/name elf:0+dwarf:100", "a blend needs two styles with a weight above 0"),
    ):
        reply = await shipped_service.on_text(ctx(), text)
        assert reply is not None, text
        assert said in reply.text, (text, reply.text)


async def test_like_favs_takes_given_names_and_rate_ignores_a_blend_default(
    shipped_service: Service,
) -> None:
    await shipped_service.on_text(ctx(), "/fav Daenerys Stormborn of House Targaryen")
    await shipped_service.on_text(ctx(), "/fav Marianne Dashwood")
    reply = await _names(shipped_service, "/name like=favs 3")
    assert "like Daenerys, Marianne" in reply.text.splitlines()[0]
    await shipped_service.on_text(ctx(), "/settings style=half-elf")
    rated = await shipped_service.on_text(ctx(), "/rate Legolas")
    assert rated is not None and "more name-like than" in rated.text


async def test_a_reply_offers_every_other_style_the_common_ones_first(
    shipped_service: Service,
) -> None:
    reply = await _names(shipped_service, "/name elf 3")
    styles = [a.caption.removeprefix("🎲 ") for a in reply.of(Act.STYLE)]
    assert sorted(styles) == sorted(set(shipped_service.engine.styles) - {"elf"})
    assert styles[:5] == ["english", "dwarf", "human", "halfling", "orc"]


async def test_a_blends_real_names_are_said_to_come_from_its_parents(
    shipped_service: Service,
) -> None:
    reply = await _names(shipped_service, "/name half-orc 0.5 20")  # cool: real names come
    assert reply.names is not None and reply.names.real
    assert "(✓ a real name from the orc or human list; the others are invented)" in reply.asides
