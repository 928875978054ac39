"""Training: minibatches bucketed by length, AdamW, gradient clipping, a held-out validation split,
early stopping on validation loss, a time budget, and a seed that makes step-bounded runs repeat.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np
import torch
from torch import Tensor, nn
from torch.optim.swa_utils import AveragedModel

from engine.nn.model import CharRNN, ModelConfig
from engine.nn.vocab import BOS, EOS, PAD, Vocabulary


class LabelledNames(Protocol):
    """What training reads of a corpus: its names, each name's label id and the labels. A cleaned
    `engine.corpora.corpus.Corpus` is one; the network needs nothing of how it was cleaned."""

    @property
    def names(self) -> Sequence[str]: ...
    @property
    def label_ids(self) -> Sequence[int]: ...
    @property
    def labels(self) -> Sequence[str]: ...
    def __len__(self) -> int: ...


@dataclass(frozen=True, slots=True)
class TrainConfig:
    seconds: float = 150.0  # wall-clock budget; the run stops at the first eval past it
    max_steps: int | None = None  # when set, the schedule follows steps and the run is repeatable
    batch_size: int = 32
    lr: float = 5e-3
    min_lr_ratio: float = 0.05  # cosine decay ends at lr * min_lr_ratio
    warmup_steps: int = 100
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    ema: float = 0.999  # > 0: validate and keep an exponential moving average of the weights
    val_fraction: float = 0.05
    eval_every: int = 250
    patience: int = 8  # evals without a new best before stopping early
    seed: int = 1337
    threads: int | None = None  # torch intra-op threads; None = every core


@dataclass(frozen=True, slots=True)
class TrainProgress:
    """Where a training run is, reported after every step (engine.retraining relays it)."""

    step: int
    elapsed: float
    fraction: float  # of the budget (steps or seconds) used, 0..1
    train_loss: float
    val_loss: float | None  # set on evaluation steps
    best_val: float


@dataclass(frozen=True, slots=True)
class TrainResult:
    model: CharRNN
    vocab: Vocabulary
    val_nll: float
    train_nll: float
    steps: int
    seconds: float
    stopped: str  # "budget", "max_steps" or "early_stop"
    history: list[tuple[int, float]] = field(default_factory=list)  # (step, val_nll)


@dataclass(frozen=True, slots=True)
class Encoded:
    """Names as padded id rows: inputs start with BOS, targets end with EOS."""

    inputs: Tensor  # (n, t) long
    targets: Tensor  # (n, t) long
    labels: Tensor  # (n,) long
    lengths: Tensor  # (n,) long: predicted tokens per name = len(name) + 1


def encode(vocab: Vocabulary, names: Sequence[str], label_ids: Sequence[int]) -> Encoded:
    width = max(len(n) for n in names) + 1
    inputs = torch.full((len(names), width), PAD, dtype=torch.long)
    targets = torch.full((len(names), width), PAD, dtype=torch.long)
    for i, name in enumerate(names):
        ids = vocab.encode(name)
        inputs[i, : len(ids) + 1] = torch.tensor([BOS, *ids])
        targets[i, : len(ids) + 1] = torch.tensor([*ids, EOS])
    lengths = torch.tensor([len(n) + 1 for n in names])
    return Encoded(inputs, targets, torch.tensor(list(label_ids), dtype=torch.long), lengths)


@torch.inference_mode()
def name_nll(model: CharRNN, data: Encoded, batch_size: int = 2048) -> Tensor:
    """Summed negative log-likelihood (nats) of each name, end token included: (n,)."""
    model.eval()
    return summed_nll(
        lambda sl, t: model(data.inputs[sl, :t], data.labels[sl]),
        data.targets, data.lengths, batch_size,
    )  # fmt: skip


def summed_nll(
    logits_of: Callable[[slice, int], Tensor],
    targets: Tensor,
    lengths: Tensor,
    batch_size: int = 2048,
) -> Tensor:
    """Each row's summed NLL, in batches: `logits_of(rows, t)` gives the (b, t, vocab) logits
    of those rows' first t positions (any network, any conditioning)."""
    out = []
    for s in range(0, len(lengths), batch_size):
        sl = slice(s, s + batch_size)
        t = int(lengths[sl].max())
        nll = torch.nn.functional.cross_entropy(
            logits_of(sl, t).transpose(1, 2), targets[sl, :t], ignore_index=PAD, reduction="none"
        )  # (b, t)
        out.append(nll.sum(dim=1))
    return torch.cat(out)


def mean_loss(model: CharRNN, data: Encoded) -> float:
    """The training loss over a whole set: nats per predicted token, each name read with its own
    label (the exercise's and makemore's measure). engine.serving.scoring.mean_nll is the
    label-free measure that compares two models on the same names."""
    return float(name_nll(model, data).sum() / data.lengths.sum())


def _batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """One epoch of index batches; names of similar length share a batch so little is padding."""
    order = rng.permutation(len(lengths))
    bucket = batch_size * 16  # names sorted by length together, then cut into batches
    batches: list[np.ndarray] = []
    for s in range(0, len(order), bucket):
        part = order[s : s + bucket]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches.extend(part[i : i + batch_size] for i in range(0, len(part), batch_size))
    rng.shuffle(batches)  # type: ignore[arg-type,unused-ignore]
    return batches


def adamw_groups(
    net: nn.Module, weight_decay: float, spared: Collection[Tensor] = ()
) -> list[dict[str, Any]]:
    """AdamW's parameter groups: weight decay on the weight matrices, none on biases nor on the
    `spared` ones."""
    spare = {id(p) for p in spared}
    decay = [p for p in net.parameters() if p.dim() >= 2 and id(p) not in spare]
    no_decay = [p for p in net.parameters() if p.dim() < 2 or id(p) in spare]
    return [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]


def _ema(decay: float) -> Callable[[Sequence[Tensor], Sequence[Tensor], Tensor | int], None]:
    """An exponential moving average whose decay warms up, (1 + n) / (10 + n) capped at
    `decay`, so a short run is not averaged towards its random initial weights."""

    @torch.no_grad()
    def update(averaged: Sequence[Tensor], current: Sequence[Tensor], n: Tensor | int) -> None:
        d = min(decay, (1 + int(n)) / (10 + int(n)))
        for a, c in zip(averaged, current, strict=True):
            a.lerp_(c, 1 - d)

    return update


def split(corpus: LabelledNames, fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Indices for (train, validation); validation gets at least one name."""
    idx = list(range(len(corpus)))
    random.Random(seed).shuffle(idx)
    n_val = max(1, round(len(idx) * fraction))
    return idx[n_val:], idx[:n_val]


def train(
    corpus: LabelledNames,
    config: TrainConfig = TrainConfig(),
    model_config: ModelConfig | None = None,
    on_progress: Callable[[TrainProgress], None] | None = None,
) -> TrainResult:
    """Fit a CharRNN to `corpus`; returns the weights that scored best on validation."""
    if config.threads:
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)

    vocab = Vocabulary.from_names(corpus.names)
    mc = replace(
        model_config or ModelConfig(vocab_size=0),
        vocab_size=len(vocab),
        n_labels=max(1, len(corpus.labels)),
    )
    model = CharRNN(mc)
    tr_idx, va_idx = split(corpus, config.val_fraction, config.seed)
    train_set = encode(
        vocab, [corpus.names[i] for i in tr_idx], [corpus.label_ids[i] for i in tr_idx]
    )
    val_set = encode(
        vocab, [corpus.names[i] for i in va_idx], [corpus.label_ids[i] for i in va_idx]
    )
    lengths = train_set.lengths.numpy()

    opt = torch.optim.AdamW(adamw_groups(model, config.weight_decay), lr=config.lr)

    def fraction(step: int, elapsed: float) -> float:
        if config.max_steps:
            return min(1.0, step / config.max_steps)
        return min(1.0, elapsed / config.seconds)

    def lr_at(step: int, frac: float) -> float:
        if step < config.warmup_steps:
            return config.lr * (step + 1) / config.warmup_steps
        cos = 0.5 * (1 + math.cos(math.pi * frac))
        return config.lr * (config.min_lr_ratio + (1 - config.min_lr_ratio) * cos)

    # An average of recent weights generalises better than the last step's on small corpora.
    averaged = (
        AveragedModel(
            model,
            multi_avg_fn=_ema(config.ema),
            use_buffers=False,  # the only buffer is a constant mask of -inf
        )
        if config.ema > 0
        else None
    )
    judged: torch.nn.Module = averaged.module if averaged is not None else model
    best_val, best_state, best_step = math.inf, dict(model.state_dict()), 0
    bad_evals, step, stopped = 0, 0, "budget"
    history: list[tuple[int, float]] = []
    running = math.nan
    start = time.monotonic()
    epoch: list[np.ndarray] = []
    while True:
        if not epoch:
            epoch = _batches(lengths, config.batch_size, rng)
        b = torch.from_numpy(epoch.pop())
        t = int(train_set.lengths[b].max())
        frac = fraction(step, time.monotonic() - start)
        for group in opt.param_groups:
            group["lr"] = lr_at(step, frac)
        model.train()
        loss = model.loss(train_set.inputs[b, :t], train_set.labels[b], train_set.targets[b, :t])
        opt.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        opt.step()
        if averaged is not None:
            averaged.update_parameters(model)
        step += 1
        loss_value = loss.item()
        running = loss_value if math.isnan(running) else 0.98 * running + 0.02 * loss_value

        elapsed = time.monotonic() - start
        frac = fraction(step, elapsed)
        done = frac >= 1.0 or (config.max_steps is None and elapsed >= config.seconds)
        if config.max_steps and elapsed >= config.seconds:
            done = True  # the time budget is a safety cap even for step-bounded runs
        val: float | None = None
        if step % config.eval_every == 0 or done:
            val = mean_loss(judged, val_set)  # type: ignore[arg-type]
            history.append((step, val))
            if val < best_val - 1e-4:
                best_val, best_step, bad_evals = val, step, 0
                best_state = {k: v.detach().clone() for k, v in judged.state_dict().items()}
            else:
                bad_evals += 1
                if bad_evals >= config.patience:
                    stopped, done = "early_stop", True
        if on_progress is not None:
            on_progress(TrainProgress(step, elapsed, frac, running, val, best_val))
        if done:
            if stopped != "early_stop" and config.max_steps and step >= config.max_steps:
                stopped = "max_steps"
            break

    model.load_state_dict(best_state)
    model.eval()
    return TrainResult(
        model=model,
        vocab=vocab,
        val_nll=best_val,
        train_nll=mean_loss(model, train_set),
        steps=best_step,
        seconds=time.monotonic() - start,
        stopped=stopped,
        history=history,
    )
