"""The compact set of a style's real names behaves as a set of strings."""

from __future__ import annotations

import pytest

from engine.serving.nameset import NameSet


def test_membership_length_order_and_set_operations() -> None:
    names = NameSet(["Zoë", "Anna", "Анна", "Bo", "Anna", "An"])
    assert len(names) == 5 and list(names) == sorted({"Zoë", "Anna", "Анна", "Bo", "An"})
    assert all(n in names for n in ("An", "Anna", "Bo", "Zoë", "Анна"))
    assert not any(n in names for n in ("", "A", "Ann", "Annas", "Zo", "Zz", 3, None))
    assert set(names) == frozenset({"Zoë", "Anna", "Анна", "Bo", "An"})
    assert {"Bo", "Eve"} & names == {"Bo"} and {"Bo"} <= names
    assert names.joined() == "An\nAnna\nBo\nZoë\nАнна"
    assert NameSet(names.joined().split("\n")) == names


def test_an_empty_set_and_a_name_with_a_line_break() -> None:
    empty = NameSet()
    assert len(empty) == 0 and "x" not in empty and list(empty) == [] and empty.joined() == ""
    with pytest.raises(ValueError, match="line break"):
        NameSet(["a\nb"])


def test_a_set_copied_or_sent_to_another_process_still_finds_its_names() -> None:
    import copy
    import pickle

    names = NameSet(["Anna", "Bo"])
    assert "Anna" in pickle.loads(pickle.dumps(names)) and "Bo" in copy.deepcopy(names)
