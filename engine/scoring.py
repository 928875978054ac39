"""How name-like is a name: log-likelihood per character and a percentile against the corpus."""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from engine.corpus import MAX_NAME_LEN
from engine.errors import RequestError
from engine.namemodel import NameModel
from engine.train import encode, name_nll

N_QUANTILES = 1001


@dataclass(frozen=True, slots=True)
class Score:
    name: str
    loglik_per_token: float  # mean log-probability (nats) per predicted token, end included
    percentile: float  # share (0..100) of corpus names that score lower
    in_corpus: bool


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
    predicted from the start token and its end token is predicted too."""
    for name in names:
        model.check_spelling(name, f"the name {name!r}")
    total = float(name_logliks(model, names).sum())
    return -total / sum(len(n) + 1 for n in names)


def corpus_quantiles(model: NameModel, names: Sequence[str]) -> tuple[float, ...]:
    scores = loglik_per_token(model, names)
    return tuple(float(q) for q in np.quantile(scores, np.linspace(0, 1, N_QUANTILES)))


def score(model: NameModel, name: str, label: str | None = None) -> Score:
    text = model.as_written(" ".join(name.split()))
    if not text:
        raise RequestError("give a name to rate, e.g. /rate Aragorn")
    if len(text) > MAX_NAME_LEN:
        raise RequestError(f"that name is {len(text)} characters; the limit is {MAX_NAME_LEN}")
    model.check_spelling(text, "the name")
    value = float(loglik_per_token(model, [text], model.resolve_label(label))[0])
    q = model.score_quantiles
    pct = 100.0 * bisect.bisect_left(q, value) / len(q) if q else 50.0
    return Score(text, value, pct, text in model.corpus_names)
