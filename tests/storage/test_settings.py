from __future__ import annotations

import asyncio
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


async def test_new_only_is_saved_and_merged(store: storage.Storage) -> None:
    await store.settings.set_user("tg:1", Preferences(new_only=True))
    merged = await store.settings.set_user("tg:1", Preferences(style="elf"))
    assert merged == Preferences(style="elf", new_only=True)
    assert (await store.settings.set_user("tg:1", Preferences(new_only=False))).new_only is False
    assert (await store.settings.user("tg:1")).new_only is False  # stored False, not "unset"
    got = await store.settings.effective("tg:1", None, DEFAULTS)
    assert got.new_only is False and got.style == "elf"


async def test_new_only_must_be_a_flag(store: storage.Storage) -> None:
    with pytest.raises(storage.InvalidValue, match="new must be yes or no"):
        await store.settings.set_user("tg:1", Preferences(new_only=1))  # type: ignore[arg-type]


async def test_gender_any_is_a_stored_value(store: storage.Storage) -> None:
    await store.settings.set_chat("tg:-1", "tg:9", Preferences(gender="female"))
    await store.settings.set_user("tg:1", Preferences(gender="any"))
    got = await store.settings.effective("tg:1", "tg:-1", DEFAULTS)
    assert got.gender == "any"  # the user's explicit "any" wins over the chat's "female"


async def test_changes_to_different_fields_at_once_all_stay(store: storage.Storage) -> None:
    """The merge happens in one upsert: concurrent changes of different fields never undo
    each other (a read-then-write merge would lose some)."""
    changes = [
        Preferences(style="elf"),
        Preferences(temperature=0.5),
        Preferences(count=9),
        Preferences(gender="male"),
        Preferences(new_only=True),
    ]
    await asyncio.gather(*(store.settings.set_chat("tg:-5", "tg:1", c) for c in changes))
    assert await store.settings.chat("tg:-5") == Preferences("elf", 0.5, 9, "male", True)


async def test_a_group_can_relax_the_word_filter(store: storage.Storage) -> None:
    await store.settings.set_chat("dc:1", "dc:2", storage.Preferences(word_filter=False))
    assert (await store.settings.chat("dc:1")).word_filter is False
    await store.settings.set_chat("dc:1", "dc:2", storage.Preferences(style="elf"))
    assert (await store.settings.chat("dc:1")) == storage.Preferences(
        style="elf", word_filter=False
    )
