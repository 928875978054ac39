"""Training one JointCharRNN on many styles at once, then a head of its own for each style.

Phase 1 trains everything on the union of the styles' training names. Styles differ a
hundredfold in size, so a batch is not drawn in proportion to size: each style has a fixed share
of the draws (its `budget`), and a style whose validation loss rises (it learns its few names
by heart, or the shared weights move away from it) has its share halved, down to a floor:
per-style early stopping, done through the sampler. (Without the halving the mean of the
styles' validation losses ended lower, 1.6901 against 1.7167, but the fantasy lists, surnames
and english, which the issue's targets are about, ended worse: README, Benchmarks, Styles.)
The weights kept are the exponential average that scored best on the mean of the styles'
validation losses, each style counting once.

Phase 2 rounds the shared network to the float16 the file keeps, freezes it, and fits each
style's output layer alone on that style's names (on the features served, not on weights the
file never holds), then rounds it to the int8 rows the file keeps (engine.nn.joint.pack_rows)
and scores it so. A style keeps its own head where it beats the shared head on the style's
validation names by `head_min_gain`; the heads that gain most are kept first, as long as they
fit in `head_bytes` (a head costs half a kilobyte per letter of its style in the shipped file).

Bounded by steps and seeded, so the same torch build gives the same weights.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.nn import functional as F
from torch.optim.swa_utils import AveragedModel

from engine.nn import train
from engine.nn.joint import (
    NONE,
    JointCharRNN,
    JointConfig,
    letter_mask,
    packed_bytes,
    round_rows,
)
from engine.nn.train import _ema
from engine.nn.vocab import EOS, N_SPECIAL, PAD, Vocabulary


@dataclass(frozen=True, slots=True)
class StyleSet:
    """One style's names, each with its label (a name from the joint label table)."""

    style: str
    names: Sequence[str]
    labels: Sequence[str]  # one per name; NONE for a corpus without labels
    train_idx: Sequence[int]
    val_idx: Sequence[int]
    budget: float = 1.0  # relative share of the draws


@dataclass(frozen=True, slots=True)
class JointTrainConfig:
    steps: int = 25_500
    batch_size: int = 96
    lr: float = 3e-3
    min_lr_ratio: float = 0.05
    warmup_steps: int = 200
    weight_decay: float = 0.1
    # Not on the letter, style and label embeddings: AdamW pulls every row towards zero at every
    # step, but a row is pushed back only by the steps that draw it, so a style with a small
    # share drifted towards the average style (with decay there, the mean of the styles'
    # validation losses ended 0.01 nats worse: 1.7265 against 1.7167).
    decay_embeddings: bool = False
    grad_clip: float = 1.0
    ema: float = 0.999
    label_drop: float = 0.1  # share of labelled rows read as NONE, so NONE means "any label"
    eval_every: int = 500
    decay_from: int = 4_000  # no style's share is cut before this step
    decay_tolerance: float = 0.003  # nats above the style's best that count as rising
    decay_patience: int = 2  # evals in a row
    decay_floor: float = 0.125
    head_epochs: int = 200
    head_patience: int = 8
    head_dropout: float = 0.25
    head_lr: float = 1e-3
    # Own heads: kept where they beat the shared head by at least head_min_gain nats, the largest
    # gains first, while their int8 rows fit in head_bytes (which keeps the file under 8 MB:
    # the rest of it is 4.7 MB). A fixed margin of 0.029 instead left out elf's head (0.027) and
    # room for six more; float16 rows left out three that gain 0.015-0.018 (spanish, danish,
    # surnames), which int8 rows let in (they move a style's validation NLL by 0.0003 on
    # average, 0.0011 at most: goblin).
    head_min_gain: float = 0.01
    head_bytes: int = 3_250_000
    seed: int = 1337
    # The same weights on every run with the same thread count (checked). At this batch size a
    # second thread gains little: 25,500 steps took 53 minutes on one core while another run
    # used the other, so two candidates train side by side.
    threads: int = 1


@dataclass(frozen=True, slots=True)
class JointProgress:
    step: int
    steps: int
    elapsed: float
    val_macro: float | None = None
    note: str = ""


@dataclass(slots=True)
class JointTrainResult:
    net: JointCharRNN
    vocab: Vocabulary
    styles: list[str]
    labels: list[str]
    heads: dict[str, tuple[Tensor, Tensor]]  # style -> its own head, where it helped
    val: dict[str, float]  # style -> validation NLL with the head it is served with
    shared_val: dict[str, float]  # style -> validation NLL with the shared head
    best_step: int
    seconds: float
    history: list[dict[str, object]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Rows:
    inputs: Tensor  # (n, t): BOS + name
    targets: Tensor  # (n, t): name + EOS
    styles: Tensor  # (n,)
    labels: Tensor  # (n,)
    lengths: Tensor  # (n,) = len(name) + 1


def encode(
    vocab: Vocabulary, names: Sequence[str], styles: Sequence[int], labels: Sequence[int]
) -> Rows:
    """Names as padded id rows (engine.nn.train.encode), each with its style."""
    e = train.encode(vocab, names, labels)
    styles_t = torch.tensor(list(styles), dtype=torch.long)
    return Rows(e.inputs, e.targets, styles_t, e.labels, e.lengths)


def _concat(parts: Sequence[Rows]) -> Rows:
    width = max(r.inputs.shape[1] for r in parts)

    def pad(t: Tensor) -> Tensor:
        return F.pad(t, (0, width - t.shape[1]))

    return Rows(
        torch.cat([pad(r.inputs) for r in parts]),
        torch.cat([pad(r.targets) for r in parts]),
        torch.cat([r.styles for r in parts]),
        torch.cat([r.labels for r in parts]),
        torch.cat([r.lengths for r in parts]),
    )


def param_groups(net: JointCharRNN, config: JointTrainConfig) -> list[dict[str, Any]]:
    """AdamW's groups (train.adamw_groups): the embeddings spared unless
    `config.decay_embeddings`."""
    embeddings = (net.embed.weight, net.style_embed.weight, net.label_embed.weight)
    return train.adamw_groups(
        net, config.weight_decay, () if config.decay_embeddings else embeddings
    )


@torch.inference_mode()
def name_nll(net: JointCharRNN, rows: Rows, batch_size: int = 2048) -> Tensor:
    """Summed NLL (nats) of each name, end token included: (n,)."""
    net.eval()
    return train.summed_nll(
        lambda sl, t: net(rows.inputs[sl, :t], rows.styles[sl], rows.labels[sl]),
        rows.targets, rows.lengths, batch_size,
    )  # fmt: skip


def tables(sets: Sequence[StyleSet]) -> tuple[Vocabulary, list[str]]:
    """The joint network's letters and labels (NONE first) for these styles."""
    vocab = Vocabulary.from_names(n for s in sets for n in s.names)
    return vocab, [NONE, *sorted({lab for s in sets for lab in s.labels} - {NONE})]


def style_rows(
    sets: Sequence[StyleSet], vocab: Vocabulary, labels: Sequence[str]
) -> tuple[list[Rows], list[Rows]]:
    """Each style's training and validation rows, style k as index k."""
    lab_ix = {lab: i for i, lab in enumerate(labels)}

    def rows(k: int, idx: Sequence[int]) -> Rows:
        s = sets[k]
        return encode(
            vocab, [s.names[i] for i in idx], [k] * len(idx), [lab_ix[s.labels[i]] for i in idx]
        )

    return (
        [rows(k, s.train_idx) for k, s in enumerate(sets)],
        [rows(k, s.val_idx) for k, s in enumerate(sets)],
    )


def train_joint(
    sets: Sequence[StyleSet],
    config: JointTrainConfig = JointTrainConfig(),
    model_config: JointConfig | None = None,
    on_progress: Callable[[JointProgress], None] | None = None,
) -> JointTrainResult:
    """Phase 1 and phase 2 (module docstring); returns the network and each style's head."""
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    styles = [s.style for s in sets]
    vocab, labels = tables(sets)
    lab_ix = {lab: i for i, lab in enumerate(labels)}
    mc = replace(
        model_config or JointConfig(vocab_size=0, n_styles=0, n_labels=0),
        vocab_size=len(vocab),
        n_styles=len(styles),
        n_labels=len(labels),
    )
    net = JointCharRNN(mc)
    with torch.no_grad():
        net.style_mask.copy_(letter_mask(vocab, [s.names for s in sets]))

    parts, vals = style_rows(sets, vocab, labels)
    tr, va = _concat(parts), _concat(vals)
    va_style = va.styles.numpy()
    va_len = va.lengths.numpy().astype(np.float64)
    n_s = np.array([len(p.lengths) for p in parts], dtype=np.float64)
    share0 = np.array([s.budget for s in sets], dtype=np.float64)
    share0 /= share0.sum()
    mult = np.ones(len(sets))
    style_of = np.concatenate([np.full(int(n), i) for i, n in enumerate(n_s)])

    def name_weights() -> np.ndarray:
        share = share0 * mult
        share /= share.sum()
        w = (share / n_s)[style_of]
        result: np.ndarray = w / w.sum()
        return result

    weights = name_weights()
    lengths = tr.lengths.numpy()
    labelled = tr.labels != lab_ix[NONE]
    opt = torch.optim.AdamW(param_groups(net, config), lr=config.lr)
    averaged = AveragedModel(net, multi_avg_fn=_ema(config.ema), use_buffers=False)

    def lr_at(step: int) -> float:
        if step < config.warmup_steps:
            return config.lr * (step + 1) / config.warmup_steps
        cos = 0.5 * (1 + math.cos(math.pi * step / config.steps))
        return config.lr * (config.min_lr_ratio + (1 - config.min_lr_ratio) * cos)

    def batches() -> list[np.ndarray]:
        chunk = rng.choice(len(weights), size=config.batch_size * 16, p=weights)
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        out = [chunk[i : i + config.batch_size] for i in range(0, len(chunk), config.batch_size)]
        rng.shuffle(out)  # type: ignore[arg-type,unused-ignore]
        return out

    best_style = np.full(len(sets), np.inf)
    stale = np.zeros(len(sets), dtype=int)
    best_macro, best_step = math.inf, 0
    best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
    history: list[dict[str, object]] = []
    start = time.monotonic()
    queue: list[np.ndarray] = []
    running = math.nan
    for step in range(1, config.steps + 1):
        if not queue:
            queue = batches()
        b = torch.from_numpy(queue.pop())
        t = int(tr.lengths[b].max())
        lab = tr.labels[b].clone()
        if config.label_drop > 0:
            dropped = (torch.rand(len(b)) < config.label_drop) & labelled[b]
            lab[dropped] = lab_ix[NONE]
        for g in opt.param_groups:
            g["lr"] = lr_at(step - 1)
        net.train()
        loss = net.loss(tr.inputs[b, :t], tr.styles[b], lab, tr.targets[b, :t])
        opt.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        torch.nn.utils.clip_grad_norm_(net.parameters(), config.grad_clip)
        opt.step()
        averaged.update_parameters(net)
        running = loss.item() if math.isnan(running) else 0.98 * running + 0.02 * loss.item()
        if step % config.eval_every and step != config.steps:
            if on_progress is not None and step % 50 == 0:
                on_progress(JointProgress(step, config.steps, time.monotonic() - start))
            continue
        ema_net: JointCharRNN = averaged.module  # type: ignore[assignment]
        per_name = name_nll(ema_net, va).numpy().astype(np.float64)
        per = np.array(
            [per_name[va_style == i].sum() / va_len[va_style == i].sum() for i in range(len(sets))]
        )
        macro = float(per.mean())
        cut = []
        for i in range(len(sets)):
            best_style[i] = min(best_style[i], per[i])
            if per[i] <= best_style[i] + config.decay_tolerance:
                stale[i] = 0
                continue
            stale[i] += 1  # rising: the style starts to learn its names by heart
            ready = step >= config.decay_from and stale[i] >= config.decay_patience
            if ready and mult[i] > config.decay_floor:
                mult[i] = max(config.decay_floor, mult[i] / 2)
                stale[i] = 0
                cut.append(styles[i])
        if cut:
            weights = name_weights()
            queue = []
        if macro < best_macro - 1e-5:
            best_macro, best_step = macro, step
            best_state = {k: v.detach().clone() for k, v in ema_net.state_dict().items()}
        elapsed = time.monotonic() - start
        history.append(
            {
                "step": step,
                "train": round(running, 4),
                "val_macro": round(macro, 4),
                "val": {s: round(float(v), 4) for s, v in zip(styles, per, strict=True)},
                "cut": cut,
                "seconds": round(elapsed, 1),
            }
        )
        if on_progress is not None:
            note = f"share halved: {', '.join(cut)}" if cut else ""
            on_progress(JointProgress(step, config.steps, elapsed, macro, note))

    net.load_state_dict(best_state)
    heads, val, shared_val = fit_heads(net, styles, parts, vals, config, on_progress, start)
    return JointTrainResult(
        net, vocab, styles, labels, heads, val, shared_val, best_step,
        time.monotonic() - start, history,
    )  # fmt: skip


def fit_heads(
    net: JointCharRNN,
    styles: Sequence[str],
    parts: Sequence[Rows],
    vals: Sequence[Rows],
    config: JointTrainConfig,
    on_progress: Callable[[JointProgress], None] | None = None,
    start: float | None = None,
) -> tuple[dict[str, tuple[Tensor, Tensor]], dict[str, float], dict[str, float]]:
    """Phase 2 on the network phase 1 kept (`net`, rounded here to float16 as the file keeps
    it): each style's own head, fitted on its training rows (`parts`), and kept as
    `choose_heads` decides. Returns (kept heads, each style's validation NLL with the head it
    is served with, with the shared head)."""
    start = time.monotonic() if start is None else start
    # The heads' dropout draws from torch's random stream, reseeded here, so that phase 2 run
    # again on a shipped file's network (engine.make_models --phase2-from) gives what the whole
    # run gave, whatever was drawn before.
    torch.manual_seed(config.seed)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(p.half().float())
    net.eval()
    fitted, own, shared_val, cost = {}, {}, {}, {}
    for k, style in enumerate(styles):
        fitted[style], shared_val[style], own[style] = fit_head(net, parts[k], vals[k], config)
        # The file keeps a head's rows for the style's letters and the special tokens, packed.
        rows = int(torch.isfinite(net.style_mask[k]).sum()) + N_SPECIAL - 1
        cost[style] = packed_bytes(rows, net.config.n_hidden)
        if on_progress is not None:
            note = f"{style}: own head {own[style]:.4f}, shared {shared_val[style]:.4f}"
            on_progress(
                JointProgress(config.steps, config.steps, time.monotonic() - start, None, note)
            )
    gains = {s: shared_val[s] - own[s] for s in styles}
    kept = choose_heads(gains, cost, config.head_min_gain, config.head_bytes)
    val = {s: own[s] if s in kept else shared_val[s] for s in styles}
    return {s: fitted[s] for s in styles if s in kept}, val, shared_val


def choose_heads(
    gains: Mapping[str, float], cost: Mapping[str, int], min_gain: float, budget: int
) -> set[str]:
    """The styles that keep their own head: those gaining at least `min_gain`, the largest
    gains first (ties by name), each taken while the heads' bytes together stay within
    `budget`."""
    kept: set[str] = set()
    spent = 0
    worthy = [s for s in gains if gains[s] >= min_gain]
    for style in sorted(worthy, key=lambda s: (-round(gains[s], 6), s)):
        if spent + cost[style] <= budget:
            kept.add(style)
            spent += cost[style]
    return kept


def fit_head(
    net: JointCharRNN, train: Rows, val: Rows, config: JointTrainConfig
) -> tuple[tuple[Tensor, Tensor], float, float]:
    """A style's own output layer on the frozen network: returns (weight, bias) of the best
    epoch rounded as the file keeps them, the validation NLL with the shared head, and with
    the style's own as rounded."""
    style = int(train.styles[0])
    mask = net.style_mask[style] + net.logit_mask

    @torch.inference_mode()
    def features(r: Rows) -> Tensor:
        return net.features(r.inputs, net.cond(r.styles, r.labels)).clone()

    f_tr, f_va = features(train), features(val)
    head = copy.deepcopy(net.head).float()  # a loaded network holds it in float16
    head.requires_grad_(True)

    def loss(f: Tensor, targets: Tensor, training: bool) -> Tensor:
        logits = head(F.dropout(f, config.head_dropout, training)) + mask
        return F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=PAD)

    with torch.no_grad():
        shared = best = float(loss(f_va, val.targets, False))
    best_w = (head.weight.detach().clone(), head.bias.detach().clone())
    opt = torch.optim.AdamW(head.parameters(), lr=config.head_lr, weight_decay=config.weight_decay)
    gen = torch.Generator().manual_seed(config.seed)
    n, bad = len(train.lengths), 0
    for _ in range(config.head_epochs):
        order = torch.randperm(n, generator=gen)
        for s in range(0, n, 64):
            idx = order[s : s + 64]
            batch_loss = loss(f_tr[idx], train.targets[idx], True)
            opt.zero_grad(set_to_none=True)
            batch_loss.backward()  # type: ignore[no-untyped-call]
            opt.step()
        with torch.no_grad():
            v = float(loss(f_va, val.targets, False))
        if v < best - 1e-5:
            best, bad = v, 0
            best_w = (head.weight.detach().clone(), head.bias.detach().clone())
        else:
            bad += 1
            if bad >= config.head_patience:
                break
    # As the file keeps it (engine.nn.joint.pack_rows; the bias in float16), and scored so.
    best_w = (round_rows(best_w[0]), best_w[1].half().float())
    with torch.no_grad():
        head.weight.copy_(best_w[0])
        head.bias.copy_(best_w[1])
        best = float(loss(f_va, val.targets, False))
    return best_w, shared, best


@dataclass(frozen=True, slots=True)
class StyleFit:
    """A new style on a frozen shared network: its conditioning vector and its own head."""

    style_vec: Tensor  # (n_style_embd,)
    head: tuple[Tensor, Tensor]  # over the whole shared vocabulary
    val_nll: float
    train_nll: float
    steps: int  # the step of the weights kept (best on validation)
    ran: int  # steps run
    seconds: float
    stopped: str  # "budget", "max_steps" or "early_stop"
    history: list[tuple[int, float]] = field(default_factory=list)


def fit_style(
    net: JointCharRNN,
    vocab: Vocabulary,
    names: Sequence[str],
    labels: Sequence[int],  # ids in the shared label table, one per name
    train_idx: Sequence[int],
    val_idx: Sequence[int],
    *,
    seconds: float,
    max_steps: int | None = None,
    init: Tensor | None = None,
    init_head: tuple[Tensor, Tensor] | None = None,
    eval_every: int = 25,
    patience: int = 12,
    seed: int = 1337,
    on_progress: Callable[[int, float, float, float | None, float], None] | None = None,
) -> StyleFit:
    """Teach a frozen shared network a new style from a short list: only a style vector (from
    `init`, else the mean of the known styles') and the style's own head (from `init_head`, a
    whole-vocabulary weight and bias, else the shared head) are trained, so every
    other style's names stay exactly as they were. Keeps the weights best on validation; stops
    at the budget or when validation has not improved for `patience` evaluations.
    `on_progress(step, elapsed, fraction, val_or_None, train_loss)` after every step."""
    torch.manual_seed(seed)
    net.eval()
    net.requires_grad_(False)
    vec = torch.nn.Parameter(
        (init if init is not None else net.style_embed.weight.mean(0)).detach().clone()
    )
    head = copy.deepcopy(net.head).float()  # a loaded network holds it in float16
    if init_head is not None:
        with torch.no_grad():
            head.weight.copy_(init_head[0])
            head.bias.copy_(init_head[1])
    head.requires_grad_(True)
    # Every letter of the list, validation names' too: one letter only they hold would cost
    # infinity and leave nothing to improve on.
    chars = "".join(sorted({c for i in (*train_idx, *val_idx) for c in names[i]}))
    mask = torch.full((len(vocab),), float("-inf"))
    mask[[EOS, *vocab.encode(chars)]] = 0.0
    mask = mask + net.logit_mask
    opt = torch.optim.Adam(
        [{"params": [vec], "lr": 1e-2}, {"params": head.parameters(), "lr": 1e-3}]
    )

    def rows(idx: Sequence[int]) -> Rows:
        return encode(vocab, [names[i] for i in idx], [0] * len(idx), [labels[i] for i in idx])

    tr, va = rows(train_idx), rows(val_idx)

    def logits(r: Rows, b: Tensor) -> Tensor:
        cond = torch.cat([vec[None].expand(len(b), -1), net.label_embed(r.labels[b])], dim=-1)
        t = int(r.lengths[b].max())
        out: Tensor = head(net.features(r.inputs[b, :t], cond)) + mask
        return out

    def nll(r: Rows) -> float:
        with torch.no_grad():
            b = torch.arange(len(r.lengths))
            t = int(r.lengths.max())
            return float(
                F.cross_entropy(
                    logits(r, b).flatten(0, 1), r.targets[:, :t].flatten(), ignore_index=PAD
                )
            )

    best = nll(va)
    kept = (vec.detach().clone(), head.weight.detach().clone(), head.bias.detach().clone())
    best_step, bad, step, stopped = 0, 0, 0, "budget"
    history = [(0, best)]
    gen = torch.Generator().manual_seed(seed)
    start = time.monotonic()
    running = math.nan
    while True:
        b = torch.randint(0, len(tr.lengths), (32,), generator=gen)
        t = int(tr.lengths[b].max())
        loss = F.cross_entropy(
            logits(tr, b).flatten(0, 1), tr.targets[b, :t].flatten(), ignore_index=PAD
        )
        opt.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        opt.step()
        step += 1
        running = loss.item() if math.isnan(running) else 0.95 * running + 0.05 * loss.item()
        elapsed = time.monotonic() - start
        fraction = min(1.0, step / max_steps if max_steps else elapsed / seconds)
        val: float | None = None
        done = fraction >= 1.0 or elapsed >= seconds
        if step % eval_every == 0 or done:
            val = nll(va)
            history.append((step, val))
            if val < best - 1e-4:
                best, best_step, bad = val, step, 0
                kept = (
                    vec.detach().clone(),
                    head.weight.detach().clone(),
                    head.bias.detach().clone(),
                )
            else:
                bad += 1
                if bad >= patience:
                    stopped, done = "early_stop", True
        if on_progress is not None:
            on_progress(step, elapsed, fraction, val, running)
        if done:
            if stopped == "budget" and max_steps and step >= max_steps:
                stopped = "max_steps"
            break
    vec.data.copy_(kept[0])
    head.weight.data.copy_(kept[1])
    head.bias.data.copy_(kept[2])
    train_nll = nll(tr)
    return StyleFit(
        vec.detach(), (kept[1], kept[2]), best, train_nll, best_step, step,
        time.monotonic() - start, stopped, history,
    )  # fmt: skip
