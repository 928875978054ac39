"""Names of places from templates over our word lists, with invented proper names."""

from __future__ import annotations

import random

import pytest

from engine.corpora import places


@pytest.mark.parametrize("kind", sorted(places.KINDS))
def test_each_kind_gives_distinct_names_that_read_like_the_real_thing(kind: str) -> None:
    names = places.make(kind, 30, ["Thorgrim", "Elowen"], random.Random(1))
    assert len(names) == 30 and len(set(names)) == 30
    assert all(n[0].isupper() and "  " not in n for n in names)
    # The proper names are used, and only where a template wants one.
    assert any("Thorgrim" in n or "Elowen" in n for n in names)
    assert places.make(kind, 30, ["Thorgrim", "Elowen"], random.Random(1)) == names


def test_templates_need_no_proper_names() -> None:
    names = places.make("tavern", 10, [], random.Random(2))
    assert len(names) == 10 and not any("'s " in n for n in names)


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown kind of place 'castle'"):
        places.make("castle", 1, [], random.Random(0))
