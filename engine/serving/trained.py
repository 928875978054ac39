"""The unit the engine serves: a trained network plus what sampling and scoring need."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from torch import Tensor

from engine.blends import Blend
from engine.errors import RequestError
from engine.limits import NEUTRAL, NEUTRAL_WORDS
from engine.nn.casing import CaseMask, CaseRules
from engine.nn.model import CharRNN
from engine.nn.vocab import Vocabulary
from engine.serving.nameset import NameSet
from engine.serving.quantiles import Quantiles


class Blender(Protocol):
    """What a style needs of the shared model it is cut from (engine.serving.shared)."""

    fingerprint: str

    def blend(self, blend: Blend, voices: Mapping[str, NameModel] | None = None) -> NameModel: ...


@dataclass(frozen=True, slots=True)
class Voice:
    """A style learned on a frozen shared model (SharedModel.fit_new: a retrained or new style)
    as blends need it: its conditioning vector, and the fingerprint of the shared model it was
    learned on. Its head is the model's own (its network's head rows)."""

    style_vec: Tensor
    base: str


@dataclass(frozen=True, slots=True)
class NameModel:
    """A trained network with everything needed to sample and score names in one style."""

    net: CharRNN
    vocab: Vocabulary
    labels: tuple[str, ...]  # e.g. ("female", "male"); empty when the corpus had none
    label_prior: tuple[float, ...]  # share of each label in the corpus
    corpus_name: str
    corpus_fingerprint: str
    corpus_names: NameSet = field(repr=False)  # the real names: `new` and the ✓ marks
    score_quantiles: Quantiles = field(repr=False)  # corpus log-lik/token, ascending
    capitalized: bool = True  # corpus names start with a capital: "eld" is read as "Eld"
    max_len: int = 32  # longest name in the corpus
    metrics: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    # The conditioning row (a label id past `labels`) that writes gender-neutral names: the mean
    # of the female and male rows of a shared-model style; None where the style has no genders.
    neutral: int | None = None
    # The shared model this style is cut from (engine.serving.shared), None for a model trained
    # alone: blends need it.
    shared: Blender | None = field(default=None, repr=False, compare=False)
    # A style learned on a shared model after it shipped (it serves alone, `shared` None): what
    # blending it with that model's styles needs. None for a model trained from scratch.
    voice: Voice | None = field(default=None, repr=False, compare=False)
    # Derived from the corpus names, so checkpoints of any age get them (engine.nn.casing).
    casing: CaseRules = field(init=False, repr=False, compare=False)
    case_mask: CaseMask = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        rules = CaseRules.from_names(self.corpus_names)
        object.__setattr__(self, "casing", rules)
        object.__setattr__(self, "case_mask", rules.mask(self.vocab))

    def resolve_label(self, label: str | None) -> int | None:
        """The label id for a user's word ("f", "fem", "female"), or None for any label."""
        if label is None or not label.strip():
            return None
        want = label.strip().casefold()
        if want in NEUTRAL_WORDS:
            if self.neutral is None:
                raise RequestError(
                    f"the {self.corpus_name} style has no gender-neutral names"
                    + ("" if self.labels else ": it has no genders")
                    + (
                        ""
                        if self.shared is not None or not self.labels
                        else " (it was trained on its own, not as part of the shared model)"
                    )
                )
            return self.neutral
        if not self.labels:
            raise RequestError(f"the {self.corpus_name} style has no genders or labels to choose")
        exact = [i for i, lab in enumerate(self.labels) if lab.casefold() == want]
        matches = exact or [
            i for i, lab in enumerate(self.labels) if lab.casefold().startswith(want)
        ]
        if len(matches) != 1:
            kind = "gender" if set(self.labels) <= {"female", "male"} else "label"
            close = difflib.get_close_matches(want, self.labels, n=1, cutoff=0.7)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise RequestError(
                f"unknown {kind} {label[:32]!r}{hint} for the {self.corpus_name} style; "
                f"choose one of: {', '.join(self.labels)}"
                + (f" or {NEUTRAL}" if self.neutral is not None else "")
            )
        return matches[0]

    def as_written(self, text: str) -> str:
        """Capitalise a typed lowercase start when the style's names are capitalised."""
        if self.capitalized and text[:1].islower():
            return text[0].upper() + text[1:]
        return text

    def check_spelling(self, text: str, what: str, *, any_case: bool = False) -> None:
        """Raise a RequestError naming the characters of `text` this style cannot write."""
        bad = [
            c
            for c in self.vocab.unknown(text)
            if not (any_case and (c.upper() in self.vocab or c.lower() in self.vocab))
        ]
        if bad:
            raise RequestError(
                f"unknown letters in {what}: {', '.join(bad)} — "
                f"the {self.corpus_name} style knows {self.vocab.describe()}"
            )
