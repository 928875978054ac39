from __future__ import annotations

import asyncio
import random

import pytest

import storage
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


async def test_clear_and_export(store: storage.Storage) -> None:
    for n in ["A1", "B2", "C3"]:
        await store.favourites.add("tg:1", n, style="english")
    assert await store.favourites.export("tg:1") == "A1\tenglish\nB2\tenglish\nC3\tenglish\n"
    assert await store.favourites.clear("tg:1") == 3
    assert await store.favourites.export("tg:1") == ""


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
        "Zoë 🧝‍♀️",
        "مريم",
        "\u202eevil",
        "%_*?",
    ],
)
async def test_hostile_strings_are_stored_exactly(store: storage.Storage, value: str) -> None:
    await store.favourites.add(value, value, style=value)
    (item,) = (await store.favourites.page(value)).items
    assert (item.name, item.style) == (value, value)
    assert await store.favourites.export(value) == f"{value}\t{value}\n"


@pytest.mark.parametrize(
    ("user", "name", "message"),
    [
        ("tg:1", "x" * 10_000, "a name is 10,000 characters long; the limit is 64"),
        ("tg:1", "nul\x00byte", "a name must not contain control characters"),
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
