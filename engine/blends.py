"""Blends of styles as people write them: "elf+dwarf", "elf:70+dwarf:30", or an alias such as
"half-elf". Pure text handling, free of torch, so the bot's grammar can check a blend without
loading a model; engine.serving.shared makes the model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.errors import RequestError

MAX_PARTS = 4
# Where a blend is what people mean. An alias whose styles are not all served is no blend here.
ALIASES = {"half-elf": "elf+human", "half-orc": "orc+human"}
_PART = re.compile(r"([a-z][a-z0-9_-]{0,31})(?::([0-9]{1,3}(?:\.[0-9]{1,2})?))?", re.ASCII)


@dataclass(frozen=True, slots=True)
class Blend:
    """Styles and their weights, which sum to 1, in the order given."""

    parts: tuple[tuple[str, float], ...]
    alias: str | None = None

    @property
    def styles(self) -> tuple[str, ...]:
        return tuple(s for s, _ in self.parts)

    @property
    def key(self) -> str:
        """The canonical spelling, e.g. "elf:70+dwarf:30" (what a request carries)."""
        return "+".join(f"{s}:{_percent(w)}" for s, w in self.parts)

    def describe(self) -> str:
        """Words for a reply: "half-elf (elf 50% + human 50%)"."""
        mix = " + ".join(f"{s} {_percent(w)}%" for s, w in self.parts)
        return f"{self.alias} ({mix})" if self.alias else f"a blend of {mix}"


def _percent(w: float) -> str:
    return f"{w * 100:.0f}" if abs(w * 100 - round(w * 100)) < 1e-6 else f"{w * 100:.1f}"


def is_blend(text: str) -> bool:
    return "+" in text or text.casefold() in ALIASES


def parse_blend(text: str) -> Blend:
    """The blend written in `text`; raises RequestError naming what is wrong and what is
    allowed. Style names are not checked here (the caller knows which are served)."""
    folded = text.strip().casefold()
    alias = folded if folded in ALIASES else None
    spec = ALIASES.get(folded, folded)
    pieces = spec.split("+")
    if len(pieces) > MAX_PARTS:
        raise RequestError(f"a blend mixes at most {MAX_PARTS} styles; {len(pieces)} were given")
    parts: list[tuple[str, float]] = []
    explicit = [":" in p for p in pieces]
    for piece in pieces:
        m = _PART.fullmatch(piece)
        if not m:
            raise RequestError(
                f"cannot read the blend part {piece[:32]!r}: write styles joined by +, "
                "optionally with weights, e.g. elf+dwarf or elf:70+dwarf:30"
            )
        weight = float(m[2]) if m[2] is not None else None
        if any(explicit) and weight is None:
            raise RequestError(
                "give every style of a blend a weight, or none: elf:70+dwarf:30 or elf+dwarf"
            )
        parts.append((m[1], 1.0 if weight is None else weight))
    if len(parts) < 2:
        raise RequestError("a blend needs two styles or more, e.g. elf+dwarf")
    if len({s for s, _ in parts}) != len(parts):
        raise RequestError("a blend names each style once, e.g. elf:70+dwarf:30")
    total = sum(w for _, w in parts)
    if total <= 0:
        raise RequestError("the weights of a blend must not all be 0, e.g. elf:70+dwarf:30")
    if sum(w > 0 for _, w in parts) < 2:
        raise RequestError(
            "a blend needs two styles with a weight above 0; for one style, name it alone"
        )
    return Blend(tuple((s, w / total) for s, w in parts if w > 0), alias)
