"""Characters <-> token ids, with the pad, start and end tokens of the original exercise."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

PAD, BOS, EOS = 0, 1, 2
N_SPECIAL = 3


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The characters a model knows; ids 0..2 are pad, start and end, characters follow."""

    chars: str
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(set(self.chars)) != len(self.chars):
            raise ValueError("vocabulary characters must be unique")
        object.__setattr__(self, "_index", {c: i + N_SPECIAL for i, c in enumerate(self.chars)})

    @classmethod
    def from_names(cls, names: Iterable[str]) -> Vocabulary:
        return cls("".join(sorted(set("".join(names)))))

    def __len__(self) -> int:
        return len(self.chars) + N_SPECIAL

    def __contains__(self, char: object) -> bool:
        return char in self._index

    def unknown(self, text: str) -> list[str]:
        """The distinct characters of `text` this vocabulary cannot spell, in order of use."""
        return list(dict.fromkeys(c for c in text if c not in self._index))

    def encode(self, text: str) -> list[int]:
        return [self._index[c] for c in text]

    def decode(self, ids: Sequence[int]) -> str:
        return "".join(self.chars[i - N_SPECIAL] for i in ids if i >= N_SPECIAL)

    def describe(self) -> str:
        """A compact human summary such as "A–Z, a–z, ' and -"."""
        return describe_chars(self.chars)


def describe_chars(chars: str) -> str:
    """Fold runs of consecutive code points into ranges: "ABCDxyz'" -> "A–D, x–z and '"."""
    points = sorted(set(map(ord, chars)))
    parts: list[str] = []
    i = 0
    while i < len(points):
        j = i
        while j + 1 < len(points) and points[j + 1] == points[j] + 1:
            j += 1
        if j - i >= 2:
            parts.append(f"{chr(points[i])}–{chr(points[j])}")
        else:
            parts.extend(chr(p) for p in points[i : j + 1])
        i = j + 1
    shown = [repr(p)[1:-1] if not p.isprintable() or p == " " else p for p in parts]
    shown = ["space" if p == " " else p for p in shown]
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + " and " + shown[-1]
