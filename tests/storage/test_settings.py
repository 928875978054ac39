from __future__ import annotations

import math

import pytest

import storage
from storage import Preferences

DEFAULTS = Preferences(style="english", temperature=1.0, count=5, gender=None)


async def test_unset_user_gets_the_defaults(store: storage.Storage) -> None:
    assert await store.settings.user("tg:1") == Preferences()
    assert await store.settings.effective("tg:1", None, DEFAULTS) == DEFAULTS


async def test_set_merges_only_the_given_fields(store: storage.Storage) -> None:
    await store.settings.set_user("tg:1", Preferences(style="dwarf", temperature=0.8))
    merged = await store.settings.set_user("tg:1", Preferences(count=7))
    assert merged == Preferences(style="dwarf", temperature=0.8, count=7)
    assert await store.settings.user("tg:1") == merged


async def test_user_wins_over_chat_which_wins_over_defaults(store: storage.Storage) -> None:
    await store.settings.set_chat("tg:-100", "tg:9", Preferences(style="elf", count=3))
    await store.settings.set_user("tg:1", Preferences(style="dwarf"))
    got = await store.settings.effective("tg:1", "tg:-100", DEFAULTS)
    assert got == Preferences(style="dwarf", temperature=1.0, count=3, gender=None)
    other = await store.settings.effective("tg:2", "tg:-100", DEFAULTS)
    assert other.style == "elf"


async def test_reset(store: storage.Storage) -> None:
    await store.settings.set_user("tg:1", Preferences(style="dwarf"))
    await store.settings.set_chat("tg:-1", "tg:1", Preferences(count=2))
    await store.settings.reset_user("tg:1")
    await store.settings.reset_chat("tg:-1")
    assert await store.settings.effective("tg:1", "tg:-1", DEFAULTS) == DEFAULTS


async def test_platforms_are_separate_users(store: storage.Storage) -> None:
    await store.settings.set_user("tg:5", Preferences(style="goblin"))
    assert (await store.settings.user("dc:5")).style is None


@pytest.mark.parametrize("bad", [math.nan, math.inf])
async def test_non_finite_temperature_is_refused(store: storage.Storage, bad: float) -> None:
    with pytest.raises(storage.InvalidValue, match="temperature must be a finite number"):
        await store.settings.set_user("tg:1", Preferences(temperature=bad))
