"""Score quantiles held as one array of doubles instead of a tuple of float objects."""

from __future__ import annotations

import bisect
import copy
import pickle
import sys

import pytest

from engine.serving.quantiles import Quantiles

VALUES = (-3.5, -2.25, -2.0, -1.0, -0.5)


def test_quantiles_index_and_slice_as_the_tuple_they_replace() -> None:
    q = Quantiles(VALUES)
    assert len(q) == 5 and q[0] == -3.5 and q[-1] == -0.5 and q[len(q) // 2] == -2.0
    assert list(q) == list(VALUES) and -1.0 in q
    assert q[1:3] == (-2.25, -2.0) and isinstance(q[1:3], Quantiles)
    assert bool(q) and not Quantiles()


def test_percentiles_bisect_quantiles_as_they_bisected_the_tuple() -> None:
    q = Quantiles(VALUES)
    for value in (-4.0, -2.1, -2.0, -0.1):
        assert bisect.bisect_left(q, value) == bisect.bisect_left(VALUES, value)


def test_quantiles_equal_the_same_values_as_quantiles_or_a_tuple_only() -> None:
    q = Quantiles(VALUES)
    assert q == VALUES and q == Quantiles(VALUES) and hash(q) == hash(Quantiles(VALUES))
    assert q != (-3.5,) and q != Quantiles(reversed(VALUES))
    assert q != list(VALUES)  # as a tuple is not equal to a list
    assert Quantiles([97.0, 98.0]) != b"ab" and q != "abc"


def test_quantiles_cannot_be_changed() -> None:
    q = Quantiles(VALUES)
    with pytest.raises(TypeError):
        q[0] = 1.0  # type: ignore[index]


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_quantiles_pickle_and_copy(protocol: int) -> None:
    """A model travels to the training process pickled; a model is copied by `replace`."""
    q = Quantiles(VALUES)
    assert pickle.loads(pickle.dumps(q, protocol)) == q
    assert copy.deepcopy(q) == q and copy.copy(q) == q


def test_a_thousand_quantiles_cost_a_quarter_of_a_tuple_of_floats() -> None:
    values = [i / 1000 - 3.0 for i in range(1001)]
    as_tuple = sys.getsizeof(tuple(values)) + sum(sys.getsizeof(v) for v in values)
    q = Quantiles(values)
    assert sys.getsizeof(q._values) < as_tuple / 3
