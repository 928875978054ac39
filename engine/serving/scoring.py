"""How name-like is a name: log-likelihood per character and a percentile against the corpus."""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from engine.corpora.corpus import MAX_NAME_LEN
from engine.errors import RequestError
from engine.nn.train import encode, name_nll
from engine.serving.quantiles import Quantiles
from engine.serving.trained import NameModel

N_QUANTILES = 1001


@dataclass(frozen=True, slots=True)
class Score:
    name: str
    # Mean log-probability (nats) per predicted token, end included; -inf when the name has
    # letters the style never uses (the model gives such a name probability 0).
    loglik_per_token: float
    percentile: float  # share (0..100) of corpus names that score lower
    in_corpus: bool
    unknown_letters: tuple[str, ...] = ()  # letters of the name the style never uses
    note: str | None = None  # why, in words, when the score is 0 for unknown letters


def _visible(char: str) -> str:
    if char == " ":
        return "a space"
    return char if char.isprintable() and not char.isspace() else repr(char)[1:-1]


def name_logliks(model: NameModel, names: Sequence[str], label: int | None = None) -> np.ndarray:
    """Log-likelihood (nats) of each whole name, end token included. With no label it is the
    mixture over labels weighted by the corpus prior: exactly log sum_l p(l) p(name | l)."""
    label_ids = range(len(model.label_prior)) if label is None else [label]
    per_label = []
    for lab in label_ids:
        data = encode(model.vocab, names, [lab] * len(names))
        logp = -name_nll(model.net, data)  # (n,)
        if label is None:
            logp = logp + math.log(max(model.label_prior[lab], 1e-12))
        per_label.append(logp)
    return torch.logsumexp(torch.stack(per_label), dim=0).numpy()


def loglik_per_token(
    model: NameModel, names: Sequence[str], label: int | None = None
) -> np.ndarray:
    """Mean log-likelihood per predicted token (a name's characters and its end) of each name."""
    lengths = np.array([len(n) + 1 for n in names], dtype=np.float64)
    return name_logliks(model, names, label) / lengths


def mean_nll(model: NameModel, names: Sequence[str]) -> float:
    """Negative log-likelihood in nats per predicted token over a set of names: each name is
    predicted from the start token and its end token is predicted too, its label mixed over by
    the corpus prior, so a labelled and an unlabelled model compare fairly on the same names
    (engine.nn.train.mean_loss is the training loss, read with each name's own label)."""
    for name in names:
        model.check_spelling(name, f"the name {name!r}")
    total = float(name_logliks(model, names).sum())
    return -total / sum(len(n) + 1 for n in names)


def corpus_quantiles(model: NameModel, names: Sequence[str]) -> Quantiles:
    scores = loglik_per_token(model, names)
    return Quantiles(float(q) for q in np.quantile(scores, np.linspace(0, 1, N_QUANTILES)))


def score(model: NameModel, name: str, label: str | None = None) -> Score:
    text = model.as_written(" ".join(name.split()))
    if not text:
        raise RequestError("give a name to rate, e.g. /rate Aragorn")
    if len(text) > MAX_NAME_LEN:
        raise RequestError(f"that name is {len(text)} characters; the limit is {MAX_NAME_LEN}")
    label_id = model.resolve_label(label)
    unknown = model.vocab.unknown(text)
    if unknown:
        shown = [_visible(c) for c in unknown]
        listed = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"
        note = f"the {model.corpus_name} style never uses {listed}"
        return Score(text, -math.inf, 0.0, False, tuple(unknown), note)
    value = float(loglik_per_token(model, [text], label_id)[0])
    return Score(text, value, percentile(model, value), text in model.corpus_names)


def percentile(model: NameModel, value: float) -> float:
    """Share (0..100) of the style's corpus names whose log-likelihood per token is lower."""
    q = model.score_quantiles
    return 100.0 * bisect.bisect_left(q, value) / len(q) if q else 50.0


def median(model: NameModel) -> float | None:
    """The log-likelihood per token of the style's median corpus name."""
    q = model.score_quantiles
    return q[len(q) // 2] if q else None
