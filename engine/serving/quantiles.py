"""A style's score quantiles, held compactly.

Each style keeps the log-likelihood per letter of its corpus names at 1,001 quantiles (the
percentiles of /rate, the plausibility floor of clean sampling). As a tuple of float objects
that is 32 KB a style, 2.4 MB for the 78 shipped styles; as one array of doubles, 8 KB.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import overload


class Quantiles(Sequence[float]):
    """An immutable, ascending sequence of floats: indexing, `len`, iteration, `bisect`."""

    __slots__ = ("_values",)

    def __init__(self, values: Iterable[float] = ()) -> None:
        self._values = array("d", values)

    def __len__(self) -> int:
        return len(self._values)

    @overload
    def __getitem__(self, i: int) -> float: ...
    @overload
    def __getitem__(self, i: slice) -> Quantiles: ...
    def __getitem__(self, i: int | slice) -> float | Quantiles:
        if isinstance(i, slice):
            return Quantiles(self._values[i])
        return self._values[i]

    def __iter__(self) -> Iterator[float]:
        return iter(self._values)

    def __eq__(self, other: object) -> bool:
        """Equal to the same values as Quantiles or as a tuple (what they replaced)."""
        if isinstance(other, Quantiles):
            return self._values == other._values
        if isinstance(other, tuple):
            return tuple(self._values) == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self._values))

    def __reduce__(self) -> tuple[type[Quantiles], tuple[list[float]]]:
        return Quantiles, (self._values.tolist(),)  # every pickle protocol, and copy

    def __repr__(self) -> str:
        return f"Quantiles({len(self)} values)"
