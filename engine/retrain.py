"""Retraining a style while the bot keeps serving: one job at a time, in a child process.

The child is started with multiprocessing's *spawn* context (a fresh interpreter, no copy of the
bot's threads or sockets), lowers its own CPU priority, uses one torch thread, trains with
`engine.train` under a time budget and reports progress over a pipe about once a second. It
writes the new checkpoint to a scratch file, scores the model that serves now on the run's own
validation names, draws the report's PNG, and exits. It watches its parent and exits if the bot
dies, so it never outlives it.

The parent (the bot's event loop) decides: the new model is adopted only if its validation loss
beats the current model's on the same names, or the style is new, or the admin forced it.
Adoption writes the models folder atomically (`ModelStore.adopt`) and then swaps the registry;
requests in flight finish on the old model. Whatever happens to the child (an error, a crash, a
SIGKILL) the old model keeps serving and its file is untouched; the result says what happened.

    retrainer = Retrainer(ModelStore(models_dir), engine.registry, max_seconds=600)
    job = await retrainer.start("elf", corpus, seconds=120, force=False, requested_by="tg:1",
                                on_progress=edit_message)
    result = await job.result()

Spawn imports the program's main module again in the child, so an entry script must keep its
work under `if __name__ == "__main__":` (the `namesmith` console script does).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import multiprocessing
import multiprocessing.connection
import os
import shutil
import signal
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, replace
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any

import torch

from engine import checkpoint, sampling, scoring
from engine.corpus import CleaningReport, Corpus
from engine.errors import EngineError, RequestError, RetrainError, TrainingBusy
from engine.model import ModelConfig
from engine.modelstore import ModelStore
from engine.namemodel import NameModel
from engine.registry import ModelRegistry, check_style_name
from engine.train import Progress as TrainProgress
from engine.train import TrainConfig, split, train

log = logging.getLogger(__name__)

CHILD_NICE = 10  # added to the bot's niceness: the bot's replies win every contest for a core
PROGRESS_EVERY = 1.0  # seconds between progress messages from the child
CURVE_EVERY = 0.25  # seconds between points of the training-loss curve
CANCEL_GRACE = 5.0  # seconds a cancelled child has to stop by itself before SIGTERM
KILL_GRACE = 3.0  # then seconds after SIGTERM before SIGKILL
SAMPLES_SHOWN = 10
SAMPLES_FOR_LENGTHS = 1000
PARENT_GONE_EXIT = 75  # the child's exit code when it noticed that the bot had died


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a running job is; `describe()` is a ready line for a status message."""

    style: str
    requested_by: str
    phase: str  # "starting", "training", "evaluating" (after training: scoring, samples, PNG)
    step: int = 0
    epoch: float = 0.0  # passes over the training names
    train_loss: float | None = None  # running mean, nats per character
    val_loss: float | None = None  # the latest validation loss
    best_val: float | None = None  # the best validation loss so far
    elapsed: float = 0.0  # seconds since the job started
    remaining: float | None = None  # estimated seconds of training left
    fraction: float = 0.0  # of the time (or step) budget used, 0..1

    @property
    def percent(self) -> int:
        return round(100 * self.fraction)

    def summary(self) -> str:
        """ "elf for tg:1, 42%" """
        return f"{self.style} for {self.requested_by}, {self.percent}%"

    def describe(self) -> str:
        """One line: phase, step, epoch, losses, time spent and left."""
        parts = [f"{self.summary()} ({self.phase})"]
        if self.step:
            parts.append(f"step {self.step:,}, epoch {self.epoch:.1f}")
        if self.train_loss is not None:
            parts.append(f"training loss {self.train_loss:.3f}")
        if self.best_val is not None:
            parts.append(f"validation loss {self.best_val:.3f}")
        parts.append(f"{_clock(self.elapsed)} elapsed")
        if self.remaining is not None and self.phase == "training":
            parts.append(f"about {_clock(self.remaining)} left")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class RetrainResult:
    """How a job ended. `outcome` is one of "adopted", "refused" (not better, not forced),
    "cancelled", "crashed" (the child died: see exit_code / signal) or "failed" (an error)."""

    style: str
    requested_by: str
    outcome: str
    adopted: bool
    reason: str  # a sentence for the admin
    forced: bool
    new_val_nll: float | None  # nats per character on the validation names
    old_val_nll: float | None  # the serving model on the SAME names; None for a new style,
    # inf when it cannot spell some of them
    validation_names: int
    steps: int  # optimiser steps taken
    seconds: float  # wall time of the whole job
    samples: tuple[str, ...]  # ten names from the new model
    png: bytes | None  # loss over time + name-length histogram
    corpus_fingerprint: str
    corpus_names: int
    corpus_path: Path | None  # the accepted corpus, kept in the models folder
    exit_code: int | None = None  # the child's exit code when it did not finish normally
    signal: str | None = None  # e.g. "SIGKILL" when a signal ended the child

    def describe(self) -> str:
        """A short summary for the admin."""
        lines = [f"{self.style}: {self.reason}"]
        if self.new_val_nll is not None:
            old = "" if self.old_val_nll is None else f" (current model {self.old_val_nll:.3f})"
            lines.append(
                f"validation loss {self.new_val_nll:.3f}{old} on {self.validation_names:,} "
                f"names; {self.steps:,} steps in {_clock(self.seconds)}"
            )
        if self.samples:
            lines.append("samples: " + ", ".join(self.samples))
        return "\n".join(lines)


def _clock(seconds: float) -> str:
    s = max(0, round(seconds))
    return f"{s // 60}:{s % 60:02d}"


# --- the child process --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Spec:
    """Everything the child needs; pickled to it by the spawn context."""

    style: str
    corpus: str  # a JSON file: the pickled spec must stay small (see `Retrainer.start`)
    train_config: TrainConfig
    model_config: ModelConfig | None
    current: str | None  # checkpoint of the serving model, None for a new style
    out: str  # where the new checkpoint goes
    parent_pid: int
    description: str


class _Cancelled(Exception):
    pass


def _watch_parent(parent_pid: int) -> None:
    """Exit at once if the bot dies (our parent changes to init or a subreaper)."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        os._exit(PARENT_GONE_EXIT)

    threading.Thread(target=watch, name="namesmith-parent-watch", daemon=True).start()


def _child_main(spec: _Spec, conn: multiprocessing.connection.Connection, stop: EventType) -> None:
    """Entry point of the training process."""
    _watch_parent(spec.parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the bot's; it cancels us itself
    with contextlib.suppress(OSError):
        os.nice(CHILD_NICE)
    torch.set_num_threads(1)
    with contextlib.suppress(RuntimeError):
        torch.set_num_interop_threads(1)
    try:
        conn.send(("done", _child_run(spec, conn, stop)))
    except _Cancelled:
        conn.send(("cancelled", None))
    except EngineError as exc:
        conn.send(("error", str(exc)))
    except Exception as exc:
        conn.send(("error", f"the training process failed: {type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _child_run(
    spec: _Spec, conn: multiprocessing.connection.Connection, stop: EventType
) -> dict[str, Any]:
    from engine import plots  # matplotlib only ever loads in the child

    corpus, tc = _read_corpus(Path(spec.corpus)), spec.train_config
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
    result = train(corpus, tc, spec.model_config, on_progress)
    if stop.is_set():
        raise _Cancelled
    conn.send(("progress", {"phase": "evaluating", "fraction": 1.0, "remaining": 0.0}))
    metrics = {
        "val_nll": result.val_nll,
        "train_nll": result.train_nll,
        "steps": result.steps,
        "seconds": round(result.seconds, 1),
        "stopped": result.stopped,
    }
    model = checkpoint.build(result.model, result.vocab, corpus, metrics, spec.description)
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
    }


def _write_corpus(corpus: Corpus, path: Path) -> None:
    data = {
        "name": corpus.name,
        "names": corpus.names,
        "label_ids": corpus.label_ids,
        "labels": corpus.labels,
        "report": asdict(corpus.report),
    }
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _read_corpus(path: Path) -> Corpus:
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


# --- the parent side ------------------------------------------------------------------------


def _poll(
    conn: multiprocessing.connection.Connection, sentinel: int, timeout: float
) -> tuple[list[tuple[str, Any]], bool]:
    """Wait up to `timeout` for messages or the child's exit; returns (messages, exited)."""
    ready = multiprocessing.connection.wait([conn, sentinel], timeout)
    messages: list[tuple[str, Any]] = []
    try:
        while conn.poll():
            messages.append(conn.recv())
    except (EOFError, OSError):
        return messages, True
    return messages, sentinel in ready


class Job:
    """One retrain. `await job.result()` never raises for what happens to the training itself:
    the result says whether the model was adopted, refused, cancelled or lost."""

    def __init__(self, style: str, requested_by: str, forced: bool, seconds: int) -> None:
        self.style = style
        self.requested_by = requested_by
        self.forced = forced
        self.seconds = seconds
        self.started = time.monotonic()
        self.progress = Progress(style, requested_by, "starting")
        self.cancelled_by: str | None = None
        self.process: multiprocessing.process.BaseProcess | None = None
        self._stop: EventType | None = None
        self._task: asyncio.Task[RetrainResult] | None = None

    @property
    def pid(self) -> int | None:
        """The training process's id, once it runs."""
        return self.process.pid if self.process is not None else None

    def done(self) -> bool:
        return self._task is not None and self._task.done()

    async def result(self) -> RetrainResult:
        assert self._task is not None
        return await asyncio.shield(self._task)


class Retrainer:
    """Owns at most one running retrain. All methods run on the event loop."""

    def __init__(
        self,
        store: ModelStore,
        registry: ModelRegistry,
        *,
        max_seconds: int,
        model_config: ModelConfig | None = None,
        train_config: TrainConfig | None = None,
        cancel_grace: float = CANCEL_GRACE,
    ) -> None:
        """`model_config` / `train_config` default to the shipped recipe (tests pass tiny
        ones); a job's `seconds` replaces `train_config.seconds`."""
        self.store = store
        self.registry = registry
        self.max_seconds = max_seconds
        self.model_config = model_config
        self.train_config = train_config or TrainConfig()
        self.cancel_grace = cancel_grace
        self._job: Job | None = None
        self._ctx = multiprocessing.get_context("spawn")
        # A job ends within 2 × its budget + 300 s (see _follow): an older folder is nobody's,
        # a younger one may be a running job of another replica sharing the models folder.
        store.remove_stale_workdirs(older_than=2 * max_seconds + 900)

    @property
    def job(self) -> Job | None:
        """The running job, if any."""
        return self._job if self._job is not None and not self._job.done() else None

    def status(self) -> Progress | None:
        """The running job's progress (elapsed time as of now), or None when idle."""
        job = self.job
        if job is None:
            return None
        return replace(job.progress, elapsed=time.monotonic() - job.started)

    async def start(
        self,
        style: str,
        corpus: Corpus,
        *,
        seconds: int,
        force: bool = False,
        requested_by: str,
        on_progress: Callable[[Progress], Awaitable[None]] | None = None,
        description: str = "",
    ) -> Job:
        """Start training `style` on `corpus` (already validated, e.g. `corpus.load_upload`)
        and return at once with the Job; `await job.result()` for the outcome.

        A style not served yet becomes a new style. Raises TrainingBusy while another job
        runs, RetrainError / RequestError for bad arguments. `on_progress` is awaited about
        once a second with the job's Progress; its errors are logged, never fatal.
        `description` is the line /styles shows; by default "<style>, trained on <corpus
        name> (<n> names)"."""
        running = self.job
        if running is not None:
            raise TrainingBusy(f"a training is already running: {running.progress.summary()}")
        check_style_name(style)
        if not 1 <= seconds <= self.max_seconds:
            raise RetrainError(
                f"the time budget must be between 1 and {self.max_seconds} seconds, got {seconds}"
            )
        job = Job(style, requested_by, force, seconds)
        self._job = job  # taken before the first await: a second start sees it
        made: list[Path] = []  # the scratch folder, once made
        try:
            current = self.registry.get(style) if style in self.registry else None
            description = (
                description or f"{style}, trained on {corpus.name} ({len(corpus):,} names)"
            )
            corpus = replace(corpus, name=style)  # the model's messages call it by its style
            workdir, corpus_path = await asyncio.to_thread(self._prepare, style, corpus, current)
            made.append(workdir)
            spec = _Spec(
                style=style,
                corpus=str(workdir / "corpus.json"),
                train_config=replace(self.train_config, seconds=float(seconds), threads=1),
                model_config=self.model_config,
                current=str(workdir / "current.pt") if current is not None else None,
                out=str(workdir / "new.pt"),
                parent_pid=os.getpid(),
                description=description,
            )
            parent_conn, child_conn = self._ctx.Pipe(duplex=False)
            stop = self._ctx.Event()
            process = self._ctx.Process(
                target=_child_main,
                args=(spec, child_conn, stop),
                name=f"namesmith-retrain-{style}",
                daemon=True,  # multiprocessing ends it when the bot exits normally
            )
            # Spawning writes the pickled spec into a pipe while still holding the pipe's read
            # end: a spec over the pipe's 64 KB buffer would hang start() for good if the child
            # died before reading it. Hence the corpus goes by file and the spec stays small.
            await asyncio.to_thread(process.start)
            child_conn.close()
        except BaseException:
            self._job = None
            for folder in made:
                shutil.rmtree(folder, ignore_errors=True)
            raise
        job.process, job._stop = process, stop
        log.info(
            "retrain of %s started for %s: pid %s, %s s, %s names%s",
            style, requested_by, process.pid, seconds, len(corpus), " (forced)" if force else "",
        )  # fmt: skip
        job._task = asyncio.create_task(
            self._supervise(
                job, process, parent_conn, workdir, corpus, corpus_path, current, on_progress
            ),
            name=f"retrain-{style}",
        )
        return job

    async def cancel(self, by: str | None = None) -> bool:
        """Stop the running job cleanly: a stop request first, SIGTERM after `cancel_grace`
        seconds, SIGKILL after KILL_GRACE more. Returns False when nothing was running."""
        job = self.job
        if job is None or job._task is None:
            return False
        job.cancelled_by = by or job.requested_by
        if job._stop is not None:
            job._stop.set()
        process = job.process
        done, _ = await asyncio.wait({job._task}, timeout=self.cancel_grace)
        if not done and process is not None and process.is_alive():
            log.warning(
                "retrain of %s did not stop in %s s; terminating", job.style, self.cancel_grace
            )
            process.terminate()
            done, _ = await asyncio.wait({job._task}, timeout=KILL_GRACE)
            if not done and process.is_alive():
                process.kill()
        await job.result()
        return True

    async def rollback(self, style: str) -> NameModel:
        """Serve the style's previous model again (file and memory); NothingToRollBack when
        there is none. Refused while that style is being retrained."""
        running = self.job
        if running is not None and running.style == style:
            raise TrainingBusy(
                f"{style} is being retrained ({running.progress.summary()}); "
                "cancel it or wait before rolling back"
            )
        model = await asyncio.to_thread(self.store.rollback, style)
        self.registry.swap(style, model)
        return model

    async def aclose(self) -> None:
        """Cancel a running job (the bot is stopping)."""
        await self.cancel(by="shutdown")

    # --- internals ----------------------------------------------------------------------

    def _prepare(self, style: str, corpus: Corpus, current: NameModel | None) -> tuple[Path, Path]:
        workdir = self.store.new_workdir(style)
        try:
            _write_corpus(corpus, workdir / "corpus.json")
            if current is not None:
                checkpoint.save(current, workdir / "current.pt")
            return workdir, self.store.keep_corpus(style, corpus)
        except BaseException:
            shutil.rmtree(workdir, ignore_errors=True)
            raise

    async def _supervise(
        self,
        job: Job,
        process: multiprocessing.process.BaseProcess,
        conn: multiprocessing.connection.Connection,
        workdir: Path,
        corpus: Corpus,
        corpus_path: Path,
        current: NameModel | None,
        on_progress: Callable[[Progress], Awaitable[None]] | None,
    ) -> RetrainResult:
        outcome = _Outcome(job, corpus, corpus_path)
        try:
            kind, data = await self._follow(job, process, conn, on_progress)
            result = await self._conclude(job, outcome, kind, data, workdir, current)
        except Exception:
            log.exception("retrain of %s failed", job.style)
            result = outcome.make(
                "failed", "the training failed with an internal error; the current model serves on"
            )
        finally:
            conn.close()
            await asyncio.to_thread(process.join, 10)
            if process.is_alive():
                process.kill()
                await asyncio.to_thread(process.join, 5)
            await asyncio.to_thread(shutil.rmtree, workdir, True)
        log.info(
            "retrain of %s for %s: %s (%s)", job.style, job.requested_by, result.outcome,
            result.reason,
        )  # fmt: skip
        return result

    async def _follow(
        self,
        job: Job,
        process: multiprocessing.process.BaseProcess,
        conn: multiprocessing.connection.Connection,
        on_progress: Callable[[Progress], Awaitable[None]] | None,
    ) -> tuple[str, Any]:
        """Relay progress until the child reports its end or dies; returns (kind, data)."""
        # Training stops at its budget; building, scoring and drawing take a while after it.
        deadline = job.started + 2 * job.seconds + 300
        while True:
            messages, exited = await asyncio.to_thread(_poll, conn, process.sentinel, 0.5)
            final: tuple[str, Any] | None = None
            for kind, data in messages:
                if kind != "progress":
                    final = (kind, data)
                    continue
                job.progress = replace(
                    job.progress, **{**data, "elapsed": time.monotonic() - job.started}
                )
                if on_progress is not None:
                    try:
                        await on_progress(job.progress)
                    except Exception:
                        log.exception("retrain progress callback failed for %s", job.style)
            if final is not None:
                return final
            if exited:
                await asyncio.to_thread(process.join, 5)
                return "died", process.exitcode
            if time.monotonic() > deadline:
                log.error("retrain of %s overran its deadline; killing pid %s", job.style, job.pid)
                process.kill()
                return "timeout", None

    async def _conclude(
        self,
        job: Job,
        outcome: _Outcome,
        kind: str,
        data: Any,
        workdir: Path,
        current: NameModel | None,
    ) -> RetrainResult:
        if job.cancelled_by is not None:
            how = "it stopped cleanly"
            if kind == "died":
                how = f"it did not stop in time and was ended by {_signal_name(data) or data}"
            return outcome.make(
                "cancelled", f"cancelled by {job.cancelled_by}; {how}; the current model serves on"
            )
        if kind == "cancelled":  # not asked by us: cannot happen, but say it plainly
            return outcome.make("cancelled", "the training stopped; the current model serves on")
        if kind == "error":
            return outcome.make("failed", f"{data}; the current model serves on")
        if kind == "timeout":
            return outcome.make(
                "failed", "the training process did not finish in time and was stopped; "
                "the current model serves on",
            )  # fmt: skip
        if kind == "died":
            sig = _signal_name(data)
            what = f"was killed by {sig}" if sig else f"exited with code {data}"
            if data == PARENT_GONE_EXIT:
                what = "stopped because it lost its parent"
            return outcome.make(
                "crashed",
                f"the training process {what}; the current model serves on, its file untouched",
                exit_code=data,
                signal=sig,
            )
        payload: dict[str, Any] = data
        new, old = payload["new_val"], payload["old_val"]
        if old is None:
            adopt, reason = True, "adopted as a new style"
        elif new < old:
            adopt, reason = True, f"adopted: validation loss {new:.3f} beats the current {old:.3f}"
        elif job.forced:
            adopt, reason = (
                True,
                (
                    f"adopted because forced, though its validation loss {new:.3f} does not beat "
                    f"the current {old:.3f}"
                ),
            )
        else:
            adopt, reason = (
                False,
                (
                    f"kept the current model: the new validation loss {new:.3f} does not beat its "
                    f"{old:.3f} on the same names (force adopts it anyway)"
                ),
            )
        if adopt:
            try:
                model = await asyncio.to_thread(
                    self.store.adopt, job.style, workdir / "new.pt", current=current
                )
            except (OSError, EngineError) as exc:
                log.exception("adopting the new model of %s failed", job.style)
                return outcome.make(
                    "failed",
                    f"the new model could not be saved ({type(exc).__name__}); "
                    "the current model serves on",
                    payload=payload,
                )
            self.registry.swap(job.style, model)
        return outcome.make("adopted" if adopt else "refused", reason, payload=payload)


@dataclass(frozen=True, slots=True)
class _Outcome:
    """Builds a job's result from what is known of it."""

    job: Job
    corpus: Corpus
    corpus_path: Path

    def make(
        self,
        outcome: str,
        reason: str,
        *,
        payload: dict[str, Any] | None = None,
        exit_code: int | None = None,
        signal: str | None = None,
    ) -> RetrainResult:
        p = payload or {}
        job = self.job
        return RetrainResult(
            style=job.style,
            requested_by=job.requested_by,
            outcome=outcome,
            adopted=outcome == "adopted",
            reason=reason,
            forced=job.forced,
            new_val_nll=p.get("new_val"),
            old_val_nll=p.get("old_val"),
            validation_names=p.get("validation_names", 0),
            steps=p.get("steps", job.progress.step),
            seconds=time.monotonic() - job.started,
            samples=tuple(p.get("samples", ())),
            png=p.get("png"),
            corpus_fingerprint=self.corpus.fingerprint,
            corpus_names=len(self.corpus),
            corpus_path=self.corpus_path,
            exit_code=exit_code,
            signal=signal,
        )


def _signal_name(exit_code: int | None) -> str | None:
    """'SIGKILL' for a process ended by a signal (multiprocessing gives -signal)."""
    if exit_code is None or exit_code >= 0:
        return None
    try:
        return signal.Signals(-exit_code).name
    except ValueError:
        return f"signal {-exit_code}"
