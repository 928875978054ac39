"""Favourites through the service alone: ⭐, /fav, /favs, /unfav, /export."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.actions import Act
from bot.reply import Reply
from bot.service import Service
from tests.bot.builders import OTHER, USER, ctx


async def _say(service: Service, text: str, user: str = USER) -> Reply:
    reply = await service.on_text(ctx(user), text)
    assert reply is not None
    return reply


async def _press(service: Service, data: str, user: str = USER) -> Reply:
    reply = await service.on_button(ctx(user), data)
    assert reply is not None
    return reply


async def test_a_star_saves_the_name_with_the_style_it_came_from(service: Service) -> None:
    names = await _say(service, "/name elf female 2")
    star = names.of(Act.SAVE)[0]
    saved = await _press(service, star.data)
    again = await _press(service, star.data)
    assert saved.text == f"⭐ Saved {star.label}. You have 1 favourite." and saved.private
    assert again.text == f"{star.label} is already in your favourites."
    listed = await _say(service, "/favs")
    assert f"1. {star.label} (elf, female)" in listed.text


async def test_several_stars_at_once_are_one_request(
    service_factory: Callable[..., Awaitable[Service]],
) -> None:
    service = await service_factory(limit=2)
    names = await _say(service, "/name 3")
    stars = [a.data for a in names.of(Act.SAVE)]
    reply = await service.on_buttons(ctx(), stars)
    assert reply is not None and reply.private
    assert [line.startswith("⭐ Saved") for line in reply.text.splitlines()] == [True] * 3
    assert await service.store.favourites.count(USER) == 3


async def test_a_menu_with_no_star_in_it_has_expired(service: Service) -> None:
    reply = await service.on_buttons(ctx(), ["style:AAAAAAAAAAAAAAAAAAAAAA:elf", "bogus"])
    assert reply is not None and "expired" in reply.text


async def test_a_typed_favourite_is_tagged_with_the_style_it_fits_best(service: Service) -> None:
    await _say(service, "/fav Jennifer")
    listed = await _say(service, "/favs")
    assert "1. Jennifer (" in listed.text


async def test_favourites_are_numbered_newest_first_across_pages(service: Service) -> None:
    for i in range(12):
        await service.store.favourites.add(USER, f"Name{i:02d}", style="english")
    first = await _say(service, "/favs")
    assert first.text.splitlines()[:2] == [
        "Your favourites (12), page 1 of 2:",
        "1. Name11 (english)",
    ]
    (older,) = first.of(Act.PAGE)
    second = await _press(service, older.data)
    assert second.text.splitlines()[1:] == ["11. Name01 (english)", "12. Name00 (english)"]
    assert [a.label for a in second.of(Act.PAGE)] == ["◀ newer"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/unfav Anna", "Forgot Anna."),
        ("/unfav anna", "Forgot anna."),  # case does not matter
        ("/unfav 2", "Forgot Anna."),  # newest first: Bob is 1, Anna 2
        ("/unfav 3", "there is no favourite number 3; you have 2"),
        ("/unfav Zed", "Zed was not in your favourites"),
    ],
)
async def test_unfav(service: Service, text: str, expected: str) -> None:
    await service.store.favourites.add(USER, "Anna", style="english")
    await service.store.favourites.add(USER, "Bob", style="english")
    reply = await _say(service, text)
    assert expected in reply.text


async def test_a_favourite_named_like_a_number_is_forgotten_by_name(service: Service) -> None:
    await service.store.favourites.add(USER, "Anna", style="english")
    await service.store.favourites.add(USER, "1", style="-")
    reply = await _say(service, "/unfav 1")
    assert reply.text == "Forgot 1."
    assert await service.store.favourites.has(USER, "Anna")


async def test_unfav_all_asks_and_only_the_asker_can_confirm(service: Service) -> None:
    await service.store.favourites.add(USER, "Anna", style="english")
    asked = await _say(service, "/unfav all")
    (yes,) = asked.of(Act.CONFIRM)
    assert asked.text == "Forget all 1 of your favourites? This cannot be undone."
    assert "expired" in (await _press(service, yes.data, OTHER)).text
    assert (await _press(service, yes.data)).text == "Forgot all 1 favourite."
    assert await service.store.favourites.count(USER) == 0


async def test_a_favourite_named_all_gets_a_button_of_its_own(service: Service) -> None:
    await service.store.favourites.add(USER, "all", style="-")
    await service.store.favourites.add(USER, "Anna", style="english")
    asked = await _say(service, "/unfav all")
    _, only = asked.of(Act.CONFIRM)
    assert (await _press(service, only.data)).text == "Forgot all."
    assert await service.store.favourites.has(USER, "Anna")


async def _export(service: Service, text: str) -> tuple[str, str]:
    await service.store.favourites.add(USER, "Anna", style="english", label="female")
    await service.store.favourites.add(USER, "Bea *Bold*", style="-", tags=("book2", "villain"),
                                       note='says "no", twice')  # fmt: skip
    reply = await _say(service, text)
    assert reply.file is not None and reply.private
    return reply.file.filename, reply.file.content.decode("utf-8")


async def test_export_makes_a_csv_of_every_field(service: Service) -> None:
    name, content = await _export(service, "/export")
    day = content.splitlines()[1].rsplit(",", 1)[1]
    assert name == "namesmith-favourites.csv"
    assert content.splitlines() == [
        "name,style,gender,tags,note,saved",
        f"Anna,english,female,,,{day}",
        f'Bea *Bold*,,,book2 villain,"says ""no"", twice",{day}',
    ]


async def test_export_makes_markdown_notes(service: Service) -> None:
    name, content = await _export(service, "/export md")
    assert name == "namesmith-favourites.md"
    lines = content.splitlines()
    assert lines[0] == "# Favourite names"
    assert lines[2].startswith("- **Anna** (english, female, ")
    assert lines[3].startswith("- **Bea \\*Bold\\*** (")  # a name never turns into emphasis
    assert lines[3].endswith(') `#book2` `#villain` — says "no", twice')


async def test_export_makes_a_list_of_names(service: Service) -> None:
    assert await _export(service, "/export txt") == (
        "namesmith-favourites.txt", "Anna\nBea *Bold*\n",
    )  # fmt: skip


async def test_an_unknown_export_format_says_which_there_are(service: Service) -> None:
    reply = await _say(service, "/export pdf")
    assert reply.text == "⚠️ /export makes csv, md (Markdown) or txt, not 'pdf', e.g. /export md"


async def test_fav_keeps_the_name_its_tags_and_its_note(service: Service) -> None:
    reply = await _say(service, "/fav Marianne Dashwood #book2 — elder sister, sensible")
    assert reply.text.startswith("⭐ Saved Marianne Dashwood #book2 — elder sister, sensible.")
    (saved,) = await service.store.favourites.all(USER)
    assert (saved.name, saved.tags, saved.note) == (
        "Marianne Dashwood", ("book2",), "elder sister, sensible",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/note Anna — the baker's daughter", "📝 Anna (english) #book2 — the baker's daughter"),
        ("/note Anna the baker's daughter", "📝 Anna (english) #book2 — the baker's daughter"),
        ("/note Mary Jane: twins", "📝 Mary Jane (english) — twins"),
        ("/note Mary Jane twins", "📝 Mary Jane (english) — twins"),  # the longest name wins
        ("/note 1 - twins", "📝 Mary Jane (english) — twins"),  # /favs numbers, newest first
        ("/note Anna", "Cleared the note of Anna."),
        ("/note Zed — who?", "⚠️ Zed is not in your favourites; save it first with /fav"),
        ("/note 9 — who?", "⚠️ there is no favourite number 9; you have 2"),
        ("/note Anna — " + "n" * 501, "⚠️ a note is 501 characters long; the limit is 500"),
        ("/note Anna — see\u202ethis", "⚠️ a note must not contain invisible characters"),
        ("/tag Anna #villain -#book2", "🏷 Anna (english) #villain — old"),
        ("/tag 2 #Villain", "🏷 Anna (english) #book2 #villain — old"),
        ("/tag Anna #book 2", "⚠️ Anna 2 is not in your favourites"),
        ("/tag Anna #" + "x" * 33, "⚠️ a tag is at most 32 characters"),
        ("/tag Anna", "⚠️ usage: /tag <name or number> #tag"),
    ],
)
async def test_notes_and_tags_are_edited_in_place(
    service: Service, text: str, expected: str
) -> None:
    await service.store.favourites.add(USER, "Anna", style="english", tags=("book2",), note="old")
    await service.store.favourites.add(USER, "Mary Jane", style="english")
    reply = await _say(service, text)
    assert reply.text.startswith(expected)


async def test_favs_by_tag_pages_through_the_tagged_ones(service: Service) -> None:
    for i in range(12):
        await service.store.favourites.add(USER, f"Tagged{i:02d}", style="english", tags=("b",))
        await service.store.favourites.add(USER, f"Plain{i:02d}", style="english")
    first = await _say(service, "/favs #B")
    assert first.text.splitlines()[0] == "Your favourites tagged #b (12), page 1 of 2:"
    (older,) = first.of(Act.PAGE)
    second = await _press(service, older.data)
    assert second.text.splitlines()[1:] == [
        "11. Tagged01 (english) #b",
        "12. Tagged00 (english) #b",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/favs 3", "⚠️ there is no page 3: your favourites fill 2 pages; /favs 2 shows the last"),
        ("/favs #none", "No favourites tagged #none; /favs lists them all."),
        ("/favs #a #b", "⚠️ /favs takes a tag and a page, e.g. /favs #book2 2"),
    ],
)
async def test_favs_never_shows_another_page_silently(
    service: Service, text: str, expected: str
) -> None:
    for i in range(12):
        await service.store.favourites.add(USER, f"Name{i:02d}", style="english")
    assert (await _say(service, text)).text == expected


async def test_an_old_yes_never_forgets_favourites_saved_since(service: Service) -> None:
    await service.store.favourites.add(USER, "Anna", style="english")
    asked = await _say(service, "/unfav all")
    (yes,) = asked.of(Act.CONFIRM)
    assert (await _press(service, yes.data)).text == "Forgot all 1 favourite."
    await service.store.favourites.add(USER, "Bob", style="english")
    again = await _press(service, yes.data)
    assert "expired" in again.text
    assert await service.store.favourites.has(USER, "Bob")


async def test_a_tags_underscore_is_no_wildcard(service: Service) -> None:
    await service.store.favourites.add(USER, "Anna", style="english", tags=("abc",))
    assert (
        await _say(service, "/favs #a_c")
    ).text == "No favourites tagged #a_c; /favs lists them all."


async def test_a_filtered_page_whose_state_expired_says_so(service: Service) -> None:
    for i in range(12):
        await service.store.favourites.add(USER, f"Tagged{i:02d}", style="english", tags=("b",))
    (older,) = (await _say(service, "/favs #b")).of(Act.PAGE)
    token = older.data.rsplit(":", 1)[1]
    await service.store.replies.take(token)  # as pruning would, after a week
    assert "expired" in (await _press(service, older.data)).text


async def test_an_export_cell_never_starts_a_formula(service: Service) -> None:
    await service.store.favourites.add(USER, '=HYPERLINK("http://x.y","Eld")', style="-",
                                       note="=1+2")  # fmt: skip
    reply = await _say(service, "/export")
    assert reply.file is not None
    row = reply.file.content.decode("utf-8").splitlines()[1]
    assert row.startswith("\"'=HYPERLINK(") and ",'=1+2," in row


async def test_a_long_note_without_a_mark_still_finds_the_name(service: Service) -> None:
    await service.store.favourites.add(USER, "Anna", style="english")
    long = "unquestionably-overconfident-and-stubbornly-cheerful baker's daughter"
    reply = await _say(service, f"/note Anna {long}")
    assert reply.text == f"📝 Anna (english) — {long}"


async def test_a_deleted_database_file_takes_no_save_it_would_lose(
    service: Service, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert (await _say(service, "/fav Anna")).text.startswith("⭐ Saved Anna")
    (tmp_path / "namesmith.sqlite3").unlink()  # an operator's slip, or a cleanup gone wrong
    refused = await _say(service, "/fav Bea")
    assert refused.text.startswith("⚠️ Nothing can be saved right now")
    assert any(
        "was deleted or replaced while the bot ran" in r.getMessage() for r in caplog.records
    )
    names = await _say(service, "/name 2")  # names need no database
    assert names.names is not None and len(names.names.names) == 2
