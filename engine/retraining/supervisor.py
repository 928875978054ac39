"""Retraining a style while the bot keeps serving: one job at a time, in a child process.

The child (engine.retraining.worker) trains under a time budget in a fresh interpreter at a
lower CPU priority, reports progress over a pipe, writes the new checkpoint to a scratch file,
scores the serving model on the same validation names and draws the report's PNG.

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
import logging
import multiprocessing
import multiprocessing.connection
import os
import shutil
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any, Protocol

from engine.corpora.corpus import Corpus
from engine.errors import EngineError, RetrainError, TrainingBusy
from engine.nn.model import ModelConfig
from engine.nn.train import TrainConfig
from engine.retraining import worker
from engine.retraining.outcome import RetrainProgress, RetrainResult
from engine.serving import checkpoint
from engine.serving.modelstore import ModelStore
from engine.serving.registry import ModelRegistry, check_style_name, shipped_styles
from engine.serving.trained import NameModel

log = logging.getLogger(__name__)

CANCEL_GRACE = 5.0  # seconds a cancelled child has to stop by itself before SIGTERM
KILL_GRACE = 3.0  # then seconds after SIGTERM before SIGKILL


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


class RetrainWatcher(Protocol):
    """Told when a retrain starts and how it ends (an operator's gauge and counter); each
    method must be quick and must not raise."""

    def retrain_started(self, style: str) -> None: ...

    def retrain_finished(self, style: str, outcome: str) -> None: ...


class Job:
    """One retrain. `await job.result()` never raises for what happens to the training itself:
    the result says whether the model was adopted, refused, cancelled or lost."""

    def __init__(self, style: str, requested_by: str, forced: bool, seconds: int) -> None:
        self.style = style
        self.requested_by = requested_by
        self.forced = forced
        self.seconds = seconds
        self.started = time.monotonic()
        self.progress = RetrainProgress(style, requested_by, "starting")
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
        base: Path | None = None,
    ) -> None:
        """`model_config` / `train_config` default to the shipped recipe (tests pass tiny
        ones); a job's `seconds` replaces `train_config.seconds`. With `base` (a shared
        model's file, the shipped one in production) a style is learned as a new voice of
        that model; without it, or for a list it cannot learn, a network of its own is
        trained from scratch."""
        self.base = base
        self.store = store
        self.registry = registry
        self.max_seconds = max_seconds
        self.model_config = model_config
        self.train_config = train_config or TrainConfig()
        self.cancel_grace = cancel_grace
        self._job: Job | None = None
        self._watchers: list[RetrainWatcher] = []
        self._ctx = multiprocessing.get_context("spawn")
        # A job ends within 2 × its budget + 300 s (see _follow): an older folder is nobody's,
        # a younger one may be a running job of another replica sharing the models folder.
        store.remove_stale_workdirs(older_than=2 * max_seconds + 900)

    def subscribe(self, watcher: RetrainWatcher) -> None:
        """Tell `watcher` of every job's start and outcome from now on."""
        self._watchers.append(watcher)

    @property
    def job(self) -> Job | None:
        """The running job, if any."""
        return self._job if self._job is not None and not self._job.done() else None

    def status(self) -> RetrainProgress | None:
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
        on_progress: Callable[[RetrainProgress], Awaitable[None]] | None = None,
        description: str = "",
    ) -> Job:
        """Start training `style` on `corpus` (already validated, e.g. `corpus.load_upload`)
        and return at once with the Job; `await job.result()` for the outcome.

        A style not served yet becomes a new style. Raises TrainingBusy while another job
        runs, RetrainError / RequestError for bad arguments. `on_progress` is awaited about
        once a second with the job's RetrainProgress; its errors are logged, never fatal.
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
        claim = self.store.claim(style)  # one training of a style in the whole cluster
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
            spec = worker.WorkerSpec(
                style=style,
                corpus=str(workdir / "corpus.json"),
                train_config=replace(self.train_config, seconds=float(seconds), threads=1),
                model_config=self.model_config,
                current=str(workdir / "current.pt") if current is not None else None,
                out=str(workdir / "new.pt"),
                parent_pid=os.getpid(),
                description=description,
                base=None if self.base is None else str(self.base),
            )
            parent_conn, child_conn = self._ctx.Pipe(duplex=False)
            stop = self._ctx.Event()
            process = self._ctx.Process(
                target=worker.main,
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
            claim.close()
            for folder in made:
                shutil.rmtree(folder, ignore_errors=True)
            raise
        job.process, job._stop = process, stop
        log.info(
            "retrain of %s started for %s: pid %s, %s s, %s names%s",
            style, requested_by, process.pid, seconds, len(corpus), " (forced)" if force else "",
        )  # fmt: skip
        for watcher in self._watchers:
            watcher.retrain_started(style)
        job._task = asyncio.create_task(
            self._supervise(
                job, process, parent_conn, workdir, corpus, corpus_path, current, on_progress
            ),
            name=f"retrain-{style}",
        )
        job._task.add_done_callback(lambda _: claim.close())  # the style is free again
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

    async def remove(self, style: str) -> None:
        """Stop serving a style added by a retrain, here and (through the shared folder) on
        every replica. Refused for a shipped style, one being retrained, or one never added."""
        if style in shipped_styles():
            raise RetrainError(
                f"{style} is a shipped style and cannot be removed; /rollback undoes a retrain"
            )
        running = self.job
        if running is not None and running.style == style:
            raise TrainingBusy(f"{style} is being retrained; cancel it first")
        if not await asyncio.to_thread(self.store.remove, style):
            raise RetrainError(f"there is no added style {style} to remove")
        self.registry.remove(style)

    async def aclose(self) -> None:
        """Cancel a running job (the bot is stopping)."""
        await self.cancel(by="shutdown")

    # --- internals ----------------------------------------------------------------------

    def _prepare(self, style: str, corpus: Corpus, current: NameModel | None) -> tuple[Path, Path]:
        workdir = self.store.new_workdir(style)
        try:
            worker.write_corpus(corpus, workdir / "corpus.json")
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
        on_progress: Callable[[RetrainProgress], Awaitable[None]] | None,
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
        for watcher in self._watchers:
            watcher.retrain_finished(job.style, result.outcome)
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
        on_progress: Callable[[RetrainProgress], Awaitable[None]] | None,
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
            if data == worker.PARENT_GONE_EXIT:
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
        if payload.get("notes"):
            reason = f"{reason}. " + "; ".join(payload["notes"])
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
