"""A style's real names, held compactly.

Serving asks one thing of them, often: is this name a real one (`new`, the ✓ marks, /rate)?
As a frozenset, the 91,000 names of the shipped styles cost 13 MB of small string objects; a
MARISA trie (marisa-trie) holds them in a few hundred kilobytes and answers `in` in under a
microsecond.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Set

import marisa_trie


class NameSet(Set[str]):
    """An immutable set of names (no newline in a name): `in`, `len`, iteration in sorted
    order, and the set operations of `collections.abc.Set`."""

    __slots__ = ("_trie",)

    def __init__(self, names: Iterable[str] = ()) -> None:
        names = list(names)
        if any("\n" in name for name in names):
            raise ValueError("a name cannot hold a line break")
        # LABEL_ORDER: iteration in code-point order, as sorted() gives
        self._trie = marisa_trie.Trie(names, order=marisa_trie.LABEL_ORDER)

    def __len__(self) -> int:
        return len(self._trie)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self._trie

    def __iter__(self) -> Iterator[str]:
        return iter(self._trie)

    def __repr__(self) -> str:
        return f"NameSet({len(self)} names)"

    def joined(self) -> str:
        """The names, sorted, one per line (no trailing line break): as files keep them."""
        return "\n".join(self)
