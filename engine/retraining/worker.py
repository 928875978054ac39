"""The training process's side of a retrain: what runs in the child that the supervisor spawns.

The child is started with multiprocessing's *spawn* context (a fresh interpreter, no copy of the
bot's threads or sockets), lowers its own CPU priority, uses one torch thread, trains with
`engine.nn.train` under a time budget and reports progress over a pipe about once a second. It
writes the new checkpoint to a scratch file, scores the model that serves now on the run's own
validation names, draws the report's PNG, and exits. It watches its parent and exits if the bot
dies, so it never outlives it.

Over the pipe it sends ("progress", {...}) messages, then one last message: ("done", payload),
("cancelled", None) or ("error", message). It never touches the models folder or the registry:
adopting is the supervisor's decision.
"""

from __future__ import annotations

import contextlib
import json
import math
import multiprocessing.connection
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any

import torch

from engine.corpora.corpus import CleaningReport, Corpus
from engine.errors import CheckpointError, EngineError, RequestError
from engine.nn.model import ModelConfig
from engine.nn.train import TrainConfig, TrainProgress, split, train
from engine.serving import checkpoint, sampling, scoring, shared
from engine.serving.trained import NameModel

CHILD_NICE = 10  # added to the bot's niceness: the bot's replies win every contest for a core
PROGRESS_EVERY = 1.0  # seconds between progress messages from the child
CURVE_EVERY = 0.25  # seconds between points of the training-loss curve
SAMPLES_SHOWN = 10
SAMPLES_FOR_LENGTHS = 1000
PARENT_GONE_EXIT = 75  # the child's exit code when it noticed that the bot had died


@dataclass(frozen=True, slots=True)
class WorkerSpec:
    """Everything the child needs; pickled to it by the spawn context."""

    style: str
    corpus: str  # a JSON file: the pickled spec must stay small (see `Retrainer.start`)
    train_config: TrainConfig
    model_config: ModelConfig | None
    current: str | None  # checkpoint of the serving model, None for a new style
    out: str  # where the new checkpoint goes
    parent_pid: int
    description: str
    # The shared model to start from (its file); None, or a list it cannot learn (letters or
    # labels it has never seen), trains a network of the style's own from scratch.
    base: str | None = None


class _Cancelled(Exception):
    pass


def _watch_parent(parent_pid: int) -> None:
    """Exit at once if the bot dies (our parent changes to init or a subreaper)."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        os._exit(PARENT_GONE_EXIT)

    threading.Thread(target=watch, name="namesmith-parent-watch", daemon=True).start()


def main(spec: WorkerSpec, conn: multiprocessing.connection.Connection, stop: EventType) -> None:
    """Entry point of the training process."""
    _watch_parent(spec.parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the bot's; it cancels us itself
    with contextlib.suppress(OSError):
        os.nice(CHILD_NICE)
    torch.set_num_threads(1)
    with contextlib.suppress(RuntimeError):
        torch.set_num_interop_threads(1)
    try:
        conn.send(("done", _run(spec, conn, stop)))
    except _Cancelled:
        conn.send(("cancelled", None))
    except EngineError as exc:
        conn.send(("error", str(exc)))
    except Exception as exc:
        conn.send(("error", f"the training process failed: {type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _run(
    spec: WorkerSpec, conn: multiprocessing.connection.Connection, stop: EventType
) -> dict[str, Any]:
    from engine.retraining import plots  # matplotlib only ever loads in the child

    corpus, tc = read_corpus(Path(spec.corpus)), spec.train_config
    tr_idx, va_idx = split(corpus, tc.val_fraction, tc.seed)  # the split `train` makes
    val_names = [corpus.names[i] for i in va_idx]
    start = time.monotonic()
    train_curve: list[tuple[float, float]] = []
    val_curve: list[tuple[float, float]] = []
    last = {"sent": -math.inf, "curve": -math.inf, "val": math.nan, "step": 0.0}

    def send(p: TrainProgress | None, phase: str) -> None:
        info: dict[str, Any] = {"phase": phase}
        if p is not None:
            remaining = p.elapsed * (1 - p.fraction) / p.fraction if p.fraction > 0 else None
            info |= {
                "step": p.step,
                "epoch": p.step * tc.batch_size / max(1, len(tr_idx)),
                "train_loss": p.train_loss,
                "val_loss": None if math.isnan(last["val"]) else last["val"],
                "best_val": p.best_val if math.isfinite(p.best_val) else None,
                "remaining": remaining,
                "fraction": p.fraction,
            }
        conn.send(("progress", info))
        last["sent"] = time.monotonic() - start

    def on_progress(p: TrainProgress) -> None:
        if stop.is_set():
            raise _Cancelled
        now = p.elapsed  # seconds of training, the curves' time axis
        last["step"] = p.step
        if now - last["curve"] >= CURVE_EVERY:
            train_curve.append((now, p.train_loss))
            last["curve"] = now
        if p.val_loss is not None:
            val_curve.append((now, p.val_loss))
            last["val"] = p.val_loss
        if time.monotonic() - start - last["sent"] >= PROGRESS_EVERY:
            send(p, "training")

    send(None, "training")
    model, notes = _train(spec, corpus, tr_idx, va_idx, on_progress)
    if stop.is_set():
        raise _Cancelled
    conn.send(("progress", {"phase": "evaluating", "fraction": 1.0, "remaining": 0.0}))
    checkpoint.save(model, spec.out)
    # Both models are scored the same way: the likelihood of each validation name, mixed over
    # the model's labels, so a labelled and an unlabelled model compare fairly.
    new_val = scoring.mean_nll(model, val_names)
    old_val: float | None = None
    if spec.current is not None:
        current = checkpoint.load(spec.current)
        try:
            old_val = scoring.mean_nll(current, val_names)
        except RequestError:  # the serving model cannot even spell some validation names
            old_val = math.inf
    samples = sampling.generate(
        model, sampling.GenerationRequest(style=spec.style, count=SAMPLES_SHOWN, new_only=True)
    ).names
    png = plots.retrain_png(
        spec.style,
        train_curve,
        val_curve,
        [len(n) for n in corpus.names],
        _sample_lengths(model, SAMPLES_FOR_LENGTHS),
        old_val=old_val if old_val is not None and math.isfinite(old_val) else None,
    )
    return {
        "new_val": new_val,
        "old_val": old_val,
        "validation_names": len(val_names),
        "steps": int(last["step"]),
        "samples": tuple(samples),
        "png": png,
        "notes": tuple(notes),
    }


SMALL_LIST = 300  # names: fewer make a rough style, and the result says so


def _train(
    spec: WorkerSpec,
    corpus: Corpus,
    tr_idx: list[int],
    va_idx: list[int],
    on_progress: Callable[[TrainProgress], None],
) -> tuple[NameModel, list[str]]:
    """The new model, from the shared model when it can learn the list, else from scratch;
    and what the result should say in words about how it went."""
    tc = spec.train_config
    notes: list[str] = []
    base = None
    if spec.base is not None:
        try:
            base = shared.load(spec.base)
            base.check_learnable(corpus)
        except (CheckpointError, RequestError) as exc:
            notes.append(f"trained from scratch: {exc}")
            base = None
    if base is not None:
        best = [math.inf]

        def relay(
            step: int, elapsed: float, fraction: float, val: float | None, loss: float
        ) -> None:
            if val is not None:
                best[0] = min(best[0], val)
            on_progress(TrainProgress(step, elapsed, fraction, loss, val, best[0]))

        model, fit = base.fit_new(
            corpus, tr_idx, va_idx, seconds=tc.seconds, max_steps=tc.max_steps,
            like=spec.style, seed=tc.seed, on_progress=relay,
        )  # fmt: skip
        val, train_nll, stopped, best_step = fit.val_nll, fit.train_nll, fit.stopped, fit.steps
        metrics = {
            "val_nll": val, "train_nll": train_nll, "steps": best_step,
            "seconds": round(fit.seconds, 1), "stopped": stopped, "from": "shared",
        }  # fmt: skip
        model = replace(model, metrics=metrics, description=spec.description)
        notes.append(
            f"learned as a new voice of the shipped model in {fit.seconds:.0f} s "
            "(every other style unchanged)"
        )
    else:
        result = train(corpus, tc, spec.model_config, on_progress)
        val, train_nll, stopped, best_step = (
            result.val_nll, result.train_nll, result.stopped, result.steps,
        )  # fmt: skip
        metrics = {
            "val_nll": val, "train_nll": train_nll, "steps": best_step,
            "seconds": round(result.seconds, 1), "stopped": stopped, "from": "scratch",
        }  # fmt: skip
        model = checkpoint.build(result.model, result.vocab, corpus, metrics, spec.description)
    if len(corpus) < SMALL_LIST:
        notes.append(
            f"the list is short ({len(corpus)} names): expect rougher names; a few hundred "
            "more would help"
        )
    if stopped == "early_stop" or val - train_nll > OVERFIT_GAP:
        notes.append(
            f"it began to learn the list by heart (validation {val:.3f} against training "
            f"{train_nll:.3f}); the weights best on validation, from step {best_step}, are kept"
        )
    return model, notes


OVERFIT_GAP = 0.3  # nats: validation this far above training means names learned by heart


def write_corpus(corpus: Corpus, path: Path) -> None:
    data = {
        "name": corpus.name,
        "names": corpus.names,
        "label_ids": corpus.label_ids,
        "labels": corpus.labels,
        "report": asdict(corpus.report),
    }
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def read_corpus(path: Path) -> Corpus:
    data = json.loads(path.read_text(encoding="utf-8"))
    return Corpus(
        name=data["name"],
        names=tuple(data["names"]),
        label_ids=tuple(data["label_ids"]),
        labels=tuple(data["labels"]),
        report=CleaningReport(**data["report"]),
    )


def _sample_lengths(model: NameModel, n: int) -> list[int]:
    """Lengths of `n` free samples at temperature 1, labels drawn from the corpus prior."""
    gen = torch.Generator().manual_seed(0)
    labels = torch.multinomial(torch.tensor(model.label_prior), n, replacement=True, generator=gen)
    rows = sampling.sample_rows(
        model.net,
        [()] * n,
        labels,
        torch.ones(n),
        torch.ones(n, dtype=torch.long),
        torch.full((n,), model.max_len + 4, dtype=torch.long),
        gen,
    )
    return [len(r) for r in rows if r is not None]
