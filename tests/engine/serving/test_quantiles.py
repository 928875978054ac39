"""Score quantiles held as one array of doubles instead of a tuple of float objects."""

from __future__ import annotations

import bisect
import sys

import pytest

from engine.serving.quantiles import Quantiles


def test_quantiles_read_as_the_tuple_they_replace() -> None:
    values = (-3.5, -2.25, -2.0, -1.0, -0.5)
    q = Quantiles(values)
    assert len(q) == 5 and q[0] == -3.5 and q[-1] == -0.5 and q[len(q) // 2] == -2.0
    assert list(q) == list(values) and q == values and q == Quantiles(values)
    assert q != (-3.5,) and q != Quantiles(reversed(values)) and q != "abc"
    assert hash(q) == hash(Quantiles(values))
    assert q[1:3] == (-2.25, -2.0) and isinstance(q[1:3], Quantiles)
    assert bisect.bisect_left(q, -2.1) == bisect.bisect_left(values, -2.1) == 2
    assert bool(q) and not Quantiles() and -1.0 in q
    with pytest.raises(TypeError):
        q[0] = 1.0  # type: ignore[index]


def test_a_thousand_quantiles_cost_a_quarter_of_a_tuple_of_floats() -> None:
    values = [i / 1000 - 3.0 for i in range(1001)]
    as_tuple = sys.getsizeof(tuple(values)) + sum(sys.getsizeof(v) for v in values)
    q = Quantiles(values)
    assert sys.getsizeof(q._values) < as_tuple / 3
