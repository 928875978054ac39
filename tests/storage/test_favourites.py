from __future__ import annotations

import asyncio
import random
import re
import sqlite3
from pathlib import Path

import pytest

import storage
from storage.db import migrations, statements
from storage.favourites import Favourites


async def test_add_list_remove(store: storage.Storage) -> None:
    fav = store.favourites
    assert await fav.add("tg:1", "Eldrin", style="elf", label="male", temperature=0.7)
    assert await fav.add("tg:1", "Brunhild", style="dwarf")
    page = await fav.page("tg:1")
    assert [f.name for f in page.items] == ["Brunhild", "Eldrin"]  # newest first
    assert page.items[1].label == "male" and page.items[1].temperature == 0.7
    assert await fav.remove("tg:1", "Eldrin")
    assert not await fav.remove("tg:1", "Eldrin")
    assert [f.name for f in (await fav.page("tg:1")).items] == ["Brunhild"]


async def test_saving_twice_is_a_no_op(store: storage.Storage) -> None:
    assert await store.favourites.add("tg:1", "Ana", style="english")
    assert not await store.favourites.add("tg:1", "Ana", style="elf")
    assert (await store.favourites.page("tg:1")).total == 1


async def test_paging(store: storage.Storage) -> None:
    for i in range(23):
        await store.favourites.add("tg:1", f"Name{i:02d}", style="english")
    p1 = await store.favourites.page("tg:1", 1)
    p3 = await store.favourites.page("tg:1", 3)
    assert (p1.pages, p1.total, len(p1.items), len(p3.items)) == (3, 23, 10, 3)
    assert p1.items[0].name == "Name22"
    assert (await store.favourites.page("tg:1", 99)).page == 3
    assert (await store.favourites.page("tg:2")).pages == 1


async def _names(store: storage.Storage, user: str) -> list[tuple[str, str]]:
    return [(f.name, f.style) for f in await store.favourites.all(user)]


async def test_clear_and_all(store: storage.Storage) -> None:
    for n in ["A1", "B2", "C3"]:
        await store.favourites.add("tg:1", n, style="english")
    assert await _names(store, "tg:1") == [("A1", "english"), ("B2", "english"), ("C3", "english")]
    assert await store.favourites.clear("tg:1") == 3
    assert await _names(store, "tg:1") == []


async def test_a_favourite_keeps_its_tags_and_note(store: storage.Storage) -> None:
    fav = store.favourites
    await fav.add("tg:1", "Marianne Dashwood", style="english", tags=("#Book2", "sisters", "book2"),
                  note=" elder sister, sensible ")  # fmt: skip
    (item,) = await fav.all("tg:1")
    assert (item.tags, item.note) == (("book2", "sisters"), "elder sister, sensible")


async def test_favourites_filter_by_a_whole_tag(store: storage.Storage) -> None:
    fav = store.favourites
    await fav.add("tg:1", "Anna", style="english", tags=("book2",))
    await fav.add("tg:1", "Bea", style="english", tags=("book22", "villain"))
    await fav.add("tg:1", "Cy", style="english")
    assert [f.name for f in (await fav.page("tg:1", tag="#BOOK2")).items] == ["Anna"]
    assert await fav.count("tg:1", tag="villain") == 1
    assert (await fav.page("tg:1", tag="none")).total == 0


async def test_annotate_changes_the_note_and_the_tags(store: storage.Storage) -> None:
    fav = store.favourites
    await fav.add("tg:1", "Anna", style="english", tags=("a", "b"), note="old")
    changed = await fav.annotate(
        "tg:1", "anna", note="new", add_tags=("c", "a"), remove_tags=("b",)
    )
    assert changed is not None and (changed.tags, changed.note) == (("a", "c"), "new")
    kept = await fav.annotate("tg:1", "Anna", add_tags=("d",))
    assert kept is not None and kept.note == "new"
    cleared = await fav.annotate("tg:1", "Anna", note="")
    assert cleared is not None and cleared.note == ""
    assert await fav.annotate("tg:1", "Zed", note="x") is None


@pytest.mark.parametrize(
    ("tags", "note", "message"),
    [
        (("book 2",), "", "a tag is one word"),
        (("x" * 33,), "", "a tag is at most 32 characters"),
        (("#",), "", "a tag needs a word after #"),
        ((), "n" * 501, "a note is 501 characters long; the limit is 500"),
        ((), "see\u202ethis", "a note must not contain invisible characters"),
    ],
)
async def test_bad_tags_and_notes_are_refused_and_nothing_is_saved(
    store: storage.Storage, tags: tuple[str, ...], note: str, message: str
) -> None:
    with pytest.raises(storage.StorageError, match=message):
        await store.favourites.add("tg:1", "Anna", style="english", tags=tags, note=note)
    assert await store.favourites.count("tg:1") == 0


async def test_cap_is_enforced_with_a_clear_message(store: storage.Storage) -> None:
    fav = Favourites(store.db, limit=3)
    for n in ["A", "B", "C"]:
        await fav.add("tg:1", n, style="english")
    with pytest.raises(storage.LimitReached, match="you have 3 favourites"):
        await fav.add("tg:1", "D", style="english")
    assert not await fav.add("tg:1", "A", style="english")  # a repeat is still a friendly no-op


async def test_users_are_isolated_across_users_and_platforms(store: storage.Storage) -> None:
    await store.favourites.add("tg:1", "Telegram", style="english")
    await store.favourites.add("dc:1", "Discord", style="english")
    assert [f.name for f in (await store.favourites.page("tg:1")).items] == ["Telegram"]
    assert [f.name for f in (await store.favourites.page("dc:1")).items] == ["Discord"]
    assert not await store.favourites.remove("dc:1", "Telegram")
    assert await store.favourites.clear("tg:2") == 0
    assert (await store.favourites.page("tg:1")).total == 1


@pytest.mark.parametrize(
    "value",
    [
        "O'Brien",
        '"quoted"',
        "'); DROP TABLE favourites; --",
        "Zoë 🧝",
        "مريم",
        "%_*?",
        "? $1 $2",
    ],
)
async def test_hostile_strings_are_stored_exactly(store: storage.Storage, value: str) -> None:
    await store.favourites.add(value, value, style=value)
    (item,) = (await store.favourites.page(value)).items
    assert (item.name, item.style) == (value, value)
    assert await _names(store, value) == [(value, value)]


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("\u202eevil", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("Ni\u200bna", "U+200B ZERO WIDTH SPACE"),
        ("Zoë 🧝\u200d♀️", "U+200D ZERO WIDTH JOINER"),
        ("\ufeffAna", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
        ("An\u00ada", "U+00AD SOFT HYPHEN"),
        ("Ana\u2028", "U+2028 LINE SEPARATOR"),
        ("Ana\x1b[31m", "U+001B (a control character)"),
    ],
)
async def test_invisible_characters_are_refused_by_name(
    store: storage.Storage, name: str, shown: str
) -> None:
    with pytest.raises(storage.InvalidValue, match=re.escape(shown)):
        await store.favourites.add("tg:1", name, style="english")
    assert await store.favourites.count("tg:1") == 0


async def test_unicode_forms_are_one_favourite_stored_composed(store: storage.Storage) -> None:
    composed, decomposed = "Zo\u00eb", "Zoe\u0308"
    assert await store.favourites.add("tg:1", decomposed, style="english")
    assert not await store.favourites.add("tg:1", composed, style="english")
    (item,) = (await store.favourites.page("tg:1")).items
    assert item.name == composed
    assert await store.favourites.remove("tg:1", decomposed)


async def test_case_is_one_favourite(store: storage.Storage) -> None:
    assert await store.favourites.add("tg:1", "Nina", style="english")
    assert not await store.favourites.add("tg:1", "nina", style="english")
    assert not await store.favourites.add("tg:1", "NINA", style="english")
    assert [f.name for f in (await store.favourites.page("tg:1")).items] == ["Nina"]
    assert await store.favourites.remove("tg:1", "nina")
    assert await store.favourites.count("tg:1") == 0
    assert await store.favourites.add("tg:1", "STRASSE", style="english")
    assert not await store.favourites.add("tg:1", "straße", style="english")  # case folding


@pytest.mark.parametrize(
    ("user", "name", "message"),
    [
        ("tg:1", "x" * 10_000, "a name is 10,000 characters long; the limit is 64"),
        ("tg:1", "nul\x00byte", "a name must not contain control characters \\(found U\\+0000"),
        ("tg:1", "", "a name must not be empty"),
        ("k" * 10_000, "Ana", "user is 10,000 characters long; the limit is 128"),
        ("tg:\x00", "Ana", "user must not contain control characters"),
    ],
)
async def test_values_over_a_limit_are_refused_clearly(
    store: storage.Storage, user: str, name: str, message: str
) -> None:
    with pytest.raises(storage.InvalidValue, match=message):
        await store.favourites.add(user, name, style="english")
    assert (await store.stats.snapshot()).favourites == 0


async def test_concurrent_adds_and_removes_end_exactly_as_expected(store: storage.Storage) -> None:
    """200 coroutines for 20 users; each adds its names, then removes every other one."""

    async def worker(i: int) -> None:
        user = f"tg:{i % 20}"
        names = [f"N{i}-{j}" for j in range(6)]
        for n in names:
            await store.favourites.add(user, n, style="english")
            await asyncio.sleep(random.random() / 1000)
        for n in names[::2]:
            assert await store.favourites.remove(user, n)

    await asyncio.gather(*(worker(i) for i in range(200)))
    for u in range(20):
        page = await store.favourites.page(f"tg:{u}", per_page=1000)
        expected = {f"N{i}-{j}" for i in range(u, 200, 20) for j in (1, 3, 5)}
        assert {f.name for f in page.items} == expected
    assert (await store.stats.snapshot()).favourites == 200 * 3


async def test_concurrent_adds_from_separate_pools_keep_the_cap_and_repeats(
    pg_url: str,
) -> None:
    """Two pools on one PostgreSQL, as two processes would have: 40 distinct names and 20
    repeats race for a cap of 25; the cap holds exactly, no name is saved twice, and nothing
    but LimitReached comes back."""
    a, b = await storage.open(pg_url, pool_size=5), await storage.open(pg_url, pool_size=5)
    try:
        favs = [Favourites(a.db, limit=25), Favourites(b.db, limit=25)]
        names = [f"Name{i}" for i in range(40)] + [f"name{i}" for i in range(20)]
        random.Random(3).shuffle(names)
        results = await asyncio.gather(
            *(favs[i % 2].add("tg:1", n, style="english") for i, n in enumerate(names)),
            return_exceptions=True,
        )
        unexpected = [r for r in results if isinstance(r, BaseException)]
        assert all(isinstance(r, storage.LimitReached) for r in unexpected), unexpected
        saved = [f.name.casefold() for f in (await a.favourites.page("tg:1", per_page=99)).items]
        assert len(saved) == 25 and len(set(saved)) == 25
        assert results.count(True) == 25
        # a repeat of a saved name is still "already saved", even at the cap
        assert not await favs[1].add("tg:1", saved[0].upper(), style="english")
    finally:
        await a.close()
        await b.close()


async def test_same_name_from_separate_pools_is_saved_once(pg_url: str) -> None:
    a, b = await storage.open(pg_url, pool_size=4), await storage.open(pg_url, pool_size=4)
    try:
        results = await asyncio.gather(
            *((a if i % 2 else b).favourites.add(f"tg:{i % 3}", "Ana", style="english")
              for i in range(30))
        )  # fmt: skip
        assert results.count(True) == 3  # once per user, 27 friendly "already saved"
    finally:
        await a.close()
        await b.close()


async def test_migration_merges_names_that_now_coincide(tmp_path: Path) -> None:
    """A schema-2 file holding "Nina", "nina" and a decomposed "Zoë": one "Nina" (the oldest)
    and a composed "Zoë" remain; other users keep theirs."""
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:
        for m in migrations("sqlite")[:2]:
            for stmt in statements(m.sql):
                conn.execute(stmt)
        conn.execute("INSERT INTO users VALUES ('tg:1', 't', 't'), ('tg:2', 't', 't')")
        for user, name in [("tg:1", "Nina"), ("tg:1", "nina"), ("tg:1", "Zoe\u0308"),
                           ("tg:1", "Zo\u00eb"), ("tg:2", "nina")]:  # fmt: skip
            conn.execute(
                "INSERT INTO favourites (user_key, name, style, created_at) "
                "VALUES (?, ?, 'e', 't')",
                (user, name),
            )
        conn.execute("PRAGMA user_version = 2")
    s = await storage.open(path)
    try:
        assert await _names(s, "tg:1") == [("Nina", "e"), ("Zo\u00eb", "e")]
        assert await _names(s, "tg:2") == [("nina", "e")]
        assert not await s.favourites.add("tg:1", "NINA", style="e")
    finally:
        await s.close()
