"""The styles shipped inside the package, and the exact commands that trained them.

`make models` (python -m engine.make_models) reruns these commands. Runs are bounded by steps,
not seconds, so the same torch build and seed give the same weights.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.corpus import BUILTIN


@dataclass(frozen=True, slots=True)
class StyleSpec:
    corpus: str
    max_steps: int
    seed: int = 1337

    def command(self, out: str) -> list[str]:
        return [
            "namesmith", "train",
            "--corpus", self.corpus,
            "--out", out,
            "--max-steps", str(self.max_steps),
            "--seconds", "3600",
            "--seed", str(self.seed),
            "--threads", "2",
            "--quiet",
        ]  # fmt: skip


STYLES: dict[str, StyleSpec] = {
    "english": StyleSpec("english", max_steps=12_000),
    "surnames": StyleSpec("surnames", max_steps=15_000),
    **{a: StyleSpec(a, max_steps=4_000) for a in ("elf", "dwarf", "halfling", "goblin", "human")},
}
assert set(STYLES) <= set(BUILTIN)
