"""The styles shipped inside the package: each one's corpus and train/validation split, its
share of the shared model's training (BUDGET), and which style gives it family names (FAMILY).

`make models` (python -m engine.make_models) trains the shared model on these splits. Each
spec also keeps the style's own single-network recipe (`command`: the `namesmith train
--from-scratch` run that made the per-style models before the shared one; small corpora got
small networks), so the two can be compared on the same held-out names (benchmarks/styles.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.corpora.corpus import BUILTIN
from engine.corpora.families import MADE


@dataclass(frozen=True, slots=True)
class StyleSpec:
    corpus: str
    max_steps: int
    seed: int = 1337
    hidden: int = 320
    embd: int = 64
    threads: int = 2
    eval_every: int = 250
    val_fraction: float = 0.05

    def command(self, out: str) -> list[str]:
        return [
            "namesmith", "train",
            "--corpus", self.corpus,
            "--out", out,
            "--max-steps", str(self.max_steps),
            "--seconds", "3600",
            "--seed", str(self.seed),
            "--hidden", str(self.hidden),
            "--embd", str(self.embd),
            "--eval-every", str(self.eval_every),
            "--val-fraction", str(self.val_fraction),
            "--threads", str(self.threads),
            "--quiet", "--from-scratch",
        ]  # fmt: skip


# A few hundred names overfit within a few hundred steps: validate often, on a larger share.
def _small(corpus: str) -> StyleSpec:
    return StyleSpec(corpus, 1_500, hidden=96, embd=32, threads=1, eval_every=100, val_fraction=0.1)


def _medium(corpus: str) -> StyleSpec:  # one to two thousand
    return StyleSpec(corpus, 3_000, hidden=192, embd=48, threads=1, eval_every=100)


def _large(corpus: str) -> StyleSpec:  # several thousand
    return StyleSpec(corpus, 5_000, hidden=256, threads=1)


SMALL = ("russian", "russian-surnames", "french", "french-surnames", "italian", "german-surnames")
STYLES: dict[str, StyleSpec] = {
    "english": StyleSpec("english", max_steps=12_000),
    "surnames": StyleSpec("surnames", max_steps=15_000),
    **{a: StyleSpec(a, max_steps=4_000) for a in ("elf", "dwarf", "halfling", "goblin", "human")},
    **{c: _small(c) for c in SMALL},
    **{c: _medium(c) for c in ("german", "spanish", "spanish-surnames", "italian-surnames")},
    **{c: _large(c) for c in ("icelandic", "icelandic-patronymics", "towns")},
}
assert set(STYLES) <= set(BUILTIN)

# The shared model (engine.nn.jointtrain) trains every style above at once, each on the same
# train/validation split as its own recipe (val_fraction, seed). A style's share of the draws,
# relative: not its size, or surnames would drown french. Tiny styles are capped (a few dozen
# passes over their names), syllable-made fantasy styles and the big lists get more.
BUDGET: dict[str, float] = {
    "english": 110, "surnames": 310, "elf": 130, "dwarf": 130, "halfling": 140, "goblin": 130,
    "human": 110, "russian": 11, "russian-surnames": 30, "french": 10, "french-surnames": 16,
    "italian": 17, "german-surnames": 16, "german": 45, "spanish": 32, "spanish-surnames": 50,
    "italian-surnames": 40, "icelandic": 55, "icelandic-patronymics": 100, "towns": 200,
}  # fmt: skip
assert set(BUDGET) == set(STYLES)

# Full names: a style's given names are followed by a name of its family-name style, of the
# same gender where the family names have genders (Иван Павлов, Анна Павлова; Jónsson, Jónsdóttir).
FAMILY: dict[str, str] = {
    "english": "surnames",
    "human": "surnames",  # fantasy humans take English surnames (engine.corpora.families: the rest)
    "russian": "russian-surnames",
    "german": "german-surnames",
    "french": "french-surnames",
    "spanish": "spanish-surnames",
    "italian": "italian-surnames",
    "icelandic": "icelandic-patronymics",
}
assert set(FAMILY) | set(FAMILY.values()) <= set(STYLES)


# Styles of places, not people.
PLACES = ("towns",)


def family_style(style: str) -> str | None:
    """The style that gives `style` its family names, or None when it has none."""
    return FAMILY.get(style)


def has_family_names(style: str) -> bool:
    """Whether full names work for `style`: from its family-name style, or made
    (engine.corpora.families)."""
    return style in FAMILY or style in MADE


def no_family_message(style: str) -> str:
    return (
        f"the {style} style has no family names, so no full names; "
        f"full names work for {', '.join(sorted({*FAMILY, *MADE}))}"
    )
