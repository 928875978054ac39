"""Casing rules learned from a corpus, enforced while sampling.

A character's *case class* is "A" for a capital, "a" for a lowercase letter (or a letter of a
script without capitals), and the character itself for anything else ("-", "'", a space). A
name's *case transitions* are the pairs of neighbouring classes, with the start and the end of
the name as two more classes: "Mary-Jane" has ^A, Aa, aa, a-, -A, Aa, aa, a$. A name's casing is
**broken** when one of its transitions appears in no name of the corpus. Most shipped corpora
have only ^A, Aa, aa and a$, so there a name is broken exactly when it starts lowercase, has a
capital anywhere but first, or is a single capital ("aulel", "GeTtlin", "HGrd").

The rules are a first-order constraint: a corpus that has "McDonald" (aA) allows a capital after
any lowercase letter, not only after "Mc". Sampling applies them as a logit mask per row
(`CaseMask`), so the model's own probabilities are untouched: scoring and the quality benchmark
still measure the network's full distribution, names scored exactly as written.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise

import torch
from torch import Tensor

from engine.nn.vocab import EOS, N_SPECIAL, Vocabulary

START, END = "^", "$"


def case_class(char: str) -> str:
    """The case class of a character: "A" (capital), "a" (lowercase, and any letter or mark of
    a script without capitals: Hebrew, Thai, Devanagari) or the character itself."""
    if char.isupper():
        return "A"
    if char.islower() or char.isalpha() or unicodedata.category(char).startswith("M"):
        return "a"
    return char


def transitions(name: str) -> list[tuple[str, str]]:
    """The case transitions of a name, start and end included."""
    classes = [START, *map(case_class, name), END]
    return list(pairwise(classes))


@dataclass(frozen=True, slots=True)
class CaseRules:
    """The case transitions a corpus has; anything else is broken casing."""

    allowed: frozenset[tuple[str, str]]

    @classmethod
    def from_names(cls, names: Iterable[str]) -> CaseRules:
        return cls(frozenset(t for name in names for t in transitions(name)))

    def broken(self, name: str) -> list[tuple[str, str]]:
        """The transitions of `name` that no corpus name has (empty when its casing is fine)."""
        return [t for t in transitions(name) if t not in self.allowed]

    def mask(self, vocab: Vocabulary) -> CaseMask:
        return CaseMask.build(self, vocab)


@dataclass(frozen=True, slots=True)
class CaseMask:
    """The rules as tensors for sampling: a row's state is the case class of its last character.

    `logits[s]` (states, vocab) is 0 where the next token may follow state s and -inf where not;
    `next_state[token]` is the state after writing that token; rows start in `start`.
    """

    logits: Tensor  # (n_states, vocab) float
    next_state: Tensor  # (vocab,) long
    start: int
    # (n_states,) bool: whether any character may follow; where only the end may, a row ends
    # there even below a minimum length (the sampler unmasks the end), rather than break case
    continues: Tensor = field(repr=False)
    classes: tuple[str, ...] = field(repr=False)

    @classmethod
    def build(cls, rules: CaseRules, vocab: Vocabulary) -> CaseMask:
        char_classes = [case_class(c) for c in vocab.chars]
        classes = (START, *dict.fromkeys(char_classes))
        index = {c: i for i, c in enumerate(classes)}
        logits = torch.full((len(classes), len(vocab)), float("-inf"))
        continues = torch.zeros(len(classes), dtype=torch.bool)
        for s, prev in enumerate(classes):
            chars = [v for v, c in enumerate(char_classes, N_SPECIAL) if (prev, c) in rules.allowed]
            ends = (prev, END) in rules.allowed
            if not chars and not ends:
                # No way on at all (a vocabulary that is not the corpus's own): the model is free.
                chars, ends = list(range(N_SPECIAL, len(vocab))), True
            logits[s, chars] = 0.0
            continues[s] = bool(chars)
            if ends:
                logits[s, EOS] = 0.0
        next_state = torch.zeros(len(vocab), dtype=torch.long)
        for v, cls_ in enumerate(char_classes, start=N_SPECIAL):
            next_state[v] = index[cls_]
        return cls(logits, next_state, index[START], continues, classes)
