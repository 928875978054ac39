"""The styles shipped inside the package: each one's corpus and train/validation split, its
share of the shared model's training (BUDGET), and which style gives it family names (FAMILY).

`make models` (python -m engine.make_models) trains the shared model on these splits. Each
spec also keeps the style's own single-network recipe (`command`: the `namesmith train
--from-scratch` run that made the per-style models before the shared one; small corpora got
small networks), so the two can be compared on the same held-out names (benchmarks/styles.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.corpora.families import MADE
from engine.corpora.sources import BUILTIN, CULTURES


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
# The styles that had models of their own before the shared model (benchmarks compare them).
FIRST_STYLES = tuple(STYLES)
# Added with the shared model, so never trained alone: the same splits as styles of their size.
SMALL_NEW = (
    "armenian", "brazilian", "chinese", "croatian", "czech", "danish", "finnish", "georgian",
    "hindi", "hungarian", "latvian", "mexican", "norwegian", "portuguese", "slovak", "slovenian",
    "swahili", "arabic-surnames", "colombian-surnames", "czech-surnames", "finnish-surnames",
    "georgian-surnames", "hebrew-surnames", "thai-surnames",
)  # fmt: skip
CULTURE_STYLES = (
    *(c.style for c in CULTURES),
    *(f"{c.style}-surnames" for c in CULTURES if c.surnames),
)
RACES = ("dnd-elf", "orc", "tiefling", "dragonborn")
STYLES |= {s: _small(s) if s in SMALL_NEW else _medium(s) for s in (*RACES, *CULTURE_STYLES)}
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
    # Added later: 0.75 * sqrt(names), between 8 and 40; the pool-made races are easy to learn.
    "dnd-elf": 60, "orc": 25, "tiefling": 25, "dragonborn": 25, "arabic": 21, "armenian": 14,
    "azerbaijani": 19, "brazilian": 13, "bulgarian": 30, "chilean": 24, "chinese": 11,
    "colombian": 18, "croatian": 11, "czech": 12, "danish": 17, "dutch": 17, "finnish": 15,
    "georgian": 12, "greek": 21, "hebrew": 19, "hindi": 14, "hungarian": 11, "indian": 17,
    "indonesian": 20, "irish": 22, "kenyan": 22, "latvian": 12, "mexican": 14, "nepali": 19,
    "norwegian": 11, "pakistani": 18, "portuguese": 11, "romanian": 20, "slovak": 16,
    "slovenian": 14, "swahili": 12, "swedish": 24, "tamil": 24, "thai": 17, "turkish": 29,
    "arabic-surnames": 13, "armenian-surnames": 19, "chilean-surnames": 17,
    "colombian-surnames": 13, "croatian-surnames": 21, "czech-surnames": 11,
    "dutch-surnames": 20, "finnish-surnames": 15, "georgian-surnames": 16,
    "greek-surnames": 29, "hebrew-surnames": 17, "indian-surnames": 17, "irish-surnames": 20,
    "kenyan-surnames": 24, "mexican-surnames": 19, "slovak-surnames": 32,
    "swedish-surnames": 17, "thai-surnames": 12,
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
    **{c.style: f"{c.style}-surnames" for c in CULTURES if c.surnames},
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
