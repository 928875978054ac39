"""A style's real names, held compactly.

Serving asks one thing of them, often: is this name a real one (`new`, the ✓ marks, /rate)?
As a frozenset, the 91,000 names of the shipped styles cost 13 MB of small string objects; here
each style keeps one string of its names, sorted and joined by newlines, the offsets where
they start, and their hashes sorted (about 3 MB in all); `in` bisects the hashes in C and
compares the name found (under a microsecond).
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Iterable, Iterator, Set


class NameSet(Set[str]):
    """An immutable set of names (no newline in a name): `in`, `len`, iteration in sorted
    order, and the set operations of `collections.abc.Set`."""

    __slots__ = ("_by_hash", "_hashes", "_starts", "_text")

    def __init__(self, names: Iterable[str] = ()) -> None:
        ordered = sorted(set(names))
        if any("\n" in name for name in ordered):
            raise ValueError("a name cannot hold a line break")
        self._text = "\n".join(ordered) + "\n" if ordered else ""
        self._starts = array("I", [0])  # 4 bytes an offset: a style's names are far below 4 GB
        for name in ordered:
            self._starts.append(self._starts[-1] + len(name) + 1)
        # hash() of a str differs between processes: these are rebuilt wherever a set arrives.
        keyed = sorted((hash(name), i) for i, name in enumerate(ordered))
        self._hashes = array("q", [h for h, _ in keyed])
        self._by_hash = array("I", [i for _, i in keyed])

    def _at(self, i: int) -> str:
        return self._text[self._starts[i] : self._starts[i + 1] - 1]

    def __len__(self) -> int:
        return len(self._starts) - 1

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        h = hash(name)
        i = bisect.bisect_left(self._hashes, h)
        while i < len(self._hashes) and self._hashes[i] == h:
            if self._at(self._by_hash[i]) == name:
                return True
            i += 1
        return False

    def __iter__(self) -> Iterator[str]:
        return (self._at(i) for i in range(len(self)))

    def __reduce__(self) -> tuple[type[NameSet], tuple[list[str]]]:
        return NameSet, (list(self),)  # rebuilt, so that its hashes are the new process's

    def __repr__(self) -> str:
        return f"NameSet({len(self)} names)"

    def joined(self) -> str:
        """The names, sorted, one per line (no trailing line break): as files keep them."""
        return self._text[:-1]
