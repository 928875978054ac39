"""Retraining a style from chat: the use case behind /retrain and /rollback.

The engine's Retrainer does the work (a niced child process, adoption only when better); this
module turns it into a conversation: it validates the upload before anything trains, keeps one
progress message edited as the job goes, and reports the outcome with samples and a PNG. Every
start, refusal, outcome, cancel and rollback lands in the audit trail.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Hashable
from dataclasses import dataclass, replace

from bot import actions, texts
from bot.actions import Act, Confirm
from bot.grammar import shown
from bot.reply import Action, Attachment, Context, Notifier, Reply, Upload
from bot.requests import RetrainRequest
from bot.service.state import NEW_STYLE, ReplyState, SavedReply
from engine.corpora import corpus as corpora
from engine.corpora.sources import BUILTIN
from engine.errors import CorpusError, EngineError
from engine.retraining.outcome import RetrainProgress, RetrainResult
from engine.retraining.supervisor import Retrainer
from storage import Storage

log = logging.getLogger(__name__)

CLOSE_EDITS = 2  # a new style named within this many edits of an existing one is asked about
EDIT_EVERY = 5.0  # seconds between edits of the progress message (platforms limit edits)
PENDING_FOR = 600.0  # seconds a "/retrain elf" waits for its file


class RetrainRefused(Exception):
    """A retrain that cannot start; the message says why, for the admin."""


@dataclass(frozen=True, slots=True)
class _Pending:
    options: RetrainRequest
    until: float


class Retraining:
    def __init__(
        self,
        retrainer: Retrainer,
        store: Storage,
        *,
        default_seconds: int,
        max_upload: int = corpora.UPLOAD_MAX_BYTES,
    ) -> None:
        self.retrainer = retrainer
        self.store = store
        self.default_seconds = default_seconds
        self.max_upload = max_upload
        self._pending: dict[tuple[str, str | None], _Pending] = {}
        # A file sent with a /retrain that first asks "a new style?", by the question's token:
        # kept in this process until answered (or PENDING_FOR has passed).
        self._unconfirmed: dict[str, tuple[Upload, float]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.state = ReplyState(store)

    @staticmethod
    def builtin_corpora() -> dict[str, str]:
        """The built-in corpora a style can be retrained from, with what each holds."""
        return {name: about for name, (about, _) in sorted(BUILTIN.items())}

    # --- starting ---------------------------------------------------------------------------

    async def start(self, ctx: Context, opts: RetrainRequest) -> Reply:
        """Validate the corpus (a built-in one, or the file sent with the command), start the
        job, and follow it in the background. Without either, ask for the file; for a new style
        named within two edits of one that exists (a typo?), ask first. A refusal is audited."""
        try:
            return await self._start(ctx, opts)
        except RetrainRefused as exc:
            await self.store.audit.record(
                ctx.user, "retrain_refused", style=opts.style or None, detail=str(exc)[:300]
            )
            raise

    async def _start(self, ctx: Context, opts: RetrainRequest) -> Reply:
        running = self.retrainer.status()
        if running is not None:
            raise RetrainRefused(f"a training is already running: {running.describe()}")
        if opts.corpus is not None:
            if opts.corpus not in BUILTIN:
                known = ", ".join(sorted(BUILTIN))
                raise RetrainRefused(
                    f"no built-in corpus {shown(opts.corpus)}; choose one of: {known}"
                )
            if (question := await self._is_it_new(ctx, opts)) is not None:
                return question
            corpus = await asyncio.to_thread(corpora.load, opts.corpus)
            source = f"the built-in {opts.corpus} corpus"
        elif ctx.upload is not None:
            if (question := await self._is_it_new(ctx, opts)) is not None:
                return question
            corpus = await self._read(opts.style, ctx.upload)
            source = ctx.upload.filename
        else:
            self._pending[(ctx.user, ctx.chat)] = _Pending(opts, time.monotonic() + PENDING_FOR)
            return Reply(
                f"Send the names for {opts.style} as a .txt file (one name per line, optionally "
                "name<TAB>label; at most 2 MB): send it as your next message here, or "
                f"attach it to the command itself (/retrain {opts.style} with the file)."
            )
        seconds = opts.seconds or self.default_seconds
        if not 10 <= seconds <= self.retrainer.max_seconds:
            raise RetrainRefused(
                f"seconds must be between 10 and {self.retrainer.max_seconds}, got {seconds}"
            )
        progress: list[Hashable] = []
        last_edit = [0.0]

        async def on_progress(p: RetrainProgress) -> None:
            if ctx.notify is None or time.monotonic() - last_edit[0] < EDIT_EVERY:
                return
            last_edit[0] = time.monotonic()
            if not progress:
                progress.append(await ctx.notify.send(Reply(f"⏳ {p.describe()}")))
            else:
                await ctx.notify.edit(progress[0], f"⏳ {p.describe()}")

        job = await self.retrainer.start(
            opts.style,
            corpus,
            seconds=seconds,
            force=opts.force,
            requested_by=ctx.user,
            on_progress=on_progress,
        )
        await self.store.audit.record(
            ctx.user,
            "retrain_started",
            style=opts.style,
            corpus=source[:120],
            detail=f"{len(corpus)} names, {seconds} s{', forced' if opts.force else ''}",
        )
        task = asyncio.create_task(self._follow(job.result(), ctx.notify, progress))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        new = (
            "replacing it only if better"
            if opts.style in self.retrainer.registry
            else "a new style"
        )
        return Reply(
            f"Training {opts.style} on {len(corpus):,} names from {source} for {seconds} s "
            f"({new}{'; forced' if opts.force else ''}). Everyone keeps getting names meanwhile; "
            "/retrain status shows progress, /retrain cancel stops it."
        )

    async def _is_it_new(self, ctx: Context, opts: RetrainRequest) -> Reply | None:
        """For a new style named like an existing one, the question (with a button) whether a
        new style is meant; None when there is nothing to ask."""
        styles = self.retrainer.registry.snapshot()
        if opts.new or opts.style in styles:
            return None
        close = sorted(s for s in styles if edits(s, opts.style) <= CLOSE_EDITS)
        if not close:
            return None
        token = await self.state.stash(
            SavedReply(ctx.user, ctx.chat, NEW_STYLE, retrain=replace(opts, new=True))
        )
        if token is None:
            raise RetrainRefused("the database cannot take changes right now; try again later")
        if ctx.upload is not None:
            now = time.monotonic()
            self._unconfirmed = {t: u for t, u in self._unconfirmed.items() if u[1] > now}
            self._unconfirmed[token] = (ctx.upload, now + PENDING_FOR)
        like = " or ".join(close)
        return Reply(
            f"{opts.style} would be a new style, named like {like}: nothing is trained yet. "
            f"Create {opts.style}? To retrain {close[0]} instead, send /retrain {close[0]} "
            "(with the file).",
            (
                Action(
                    Act.CONFIRM, f"Yes, create {opts.style}", actions.confirm(token, Confirm.ALL)
                ),
            ),
            private=True,
        )

    async def confirmed(self, ctx: Context, token: str, saved: SavedReply) -> Reply:
        """The admin said yes to a new style: train it, with the file they sent, if any."""
        if saved.retrain is None:
            return Reply(texts.EXPIRED, private=True)
        upload, until = self._unconfirmed.pop(token, (None, 0.0))
        if saved.retrain.corpus is None and (upload is None or until < time.monotonic()):
            return Reply(
                f"The file for {saved.retrain.style} is no longer here (too long ago, or the bot "
                f"restarted); send it again with /retrain {saved.retrain.style} new",
                private=True,
            )
        return await self.start(replace(ctx, upload=upload), saved.retrain)

    async def remove(self, ctx: Context, style: str) -> str:
        try:
            await self.retrainer.remove(style)
        except EngineError as exc:  # shipped, being trained, never added: said, and audited
            await self.store.audit.record(
                ctx.user, "retrain_remove_refused", style=style, detail=str(exc)[:300]
            )
            raise
        await self.store.audit.record(ctx.user, "retrain_remove", style=style)
        return f"Removed {style}: it is no longer served, here or on any replica."

    async def on_upload(self, ctx: Context) -> Reply | None:
        """A file with no command: the file a pending /retrain of this user asked for."""
        pending = self._pending.pop((ctx.user, ctx.chat), None)
        if pending is None or pending.until < time.monotonic():
            return None
        return await self.start(ctx, pending.options)

    async def _read(self, style: str, upload: Upload) -> corpora.Corpus:
        if upload.size is not None and upload.size > self.max_upload:
            raise RetrainRefused(
                f"the file is {upload.size / 2**20:.1f} MB; the limit is "
                f"{self.max_upload / 2**20:g} MB (nothing was downloaded)"
            )
        try:
            data = await upload.fetch()
        except Exception as exc:  # the platform's own error: a link that expired, a 404
            log.warning("an upload could not be fetched (%s: %s)", type(exc).__name__, exc)
            raise RetrainRefused(
                f"{shown(upload.filename)} could not be downloaded (it may have expired); "
                "send it again"
            ) from None
        try:
            return await asyncio.to_thread(
                corpora.load_upload, upload.filename or style, data, max_bytes=self.max_upload
            )
        except CorpusError as exc:
            raise RetrainRefused(f"that file cannot be used: {exc}") from None

    # --- following ----------------------------------------------------------------------------

    async def _follow(
        self,
        result_of: Awaitable[RetrainResult],
        notify: Notifier | None,
        progress: list[Hashable],
    ) -> None:
        """Wait for the job, record the outcome, tell the admin (with samples and the PNG)."""
        try:
            result = await result_of
        except Exception:
            log.exception("retrain follow-up failed")
            return
        try:
            await self.store.audit.record(
                result.requested_by,
                f"retrain_{result.outcome}",
                style=result.style,
                fingerprint=result.corpus_fingerprint,
                val_nll=result.new_val_nll if result.new_val_nll is not None else None,
                adopted=result.adopted,
                detail=result.reason[:500],
            )
        except Exception:
            log.exception("audit of a retrain failed")
        if notify is None:
            return
        icon = "✅" if result.adopted else ("🛑" if result.outcome == "cancelled" else "⚠️")
        file = Attachment(f"{result.style}-training.png", result.png) if result.png else None
        # One message says the outcome (with its picture); the progress message only closes.
        with contextlib.suppress(Exception):
            if progress:
                await notify.edit(progress[0], f"⏹ {result.style}: the training ended, see below")
            await notify.send(Reply(f"{icon} {result.describe()}", file=file))

    # --- the rest ------------------------------------------------------------------------------

    def status(self) -> str:
        p = self.retrainer.status()
        return f"⏳ {p.describe()}" if p is not None else "No training is running."

    async def cancel(self, ctx: Context) -> str:
        running = self.retrainer.status()
        if running is None or not await self.retrainer.cancel(by=ctx.user):
            return "No training is running."
        await self.store.audit.record(ctx.user, "retrain_cancel", style=running.style)
        if running.style in self.retrainer.registry:
            return (
                f"Cancelled: the training stopped cleanly and {running.style}'s current model "
                "serves on."
            )
        return f"Cancelled: the training stopped cleanly; no style {running.style} was made."

    async def rollback(self, ctx: Context, style: str) -> str:
        try:
            await self.retrainer.rollback(style)
        except EngineError as exc:  # nothing to roll back, being trained: said, and audited
            await self.store.audit.record(
                ctx.user, "rollback_refused", style=style, detail=str(exc)[:300]
            )
            raise
        await self.store.audit.record(ctx.user, "rollback", style=style, adopted=True)
        return f"Rolled back: {style} is served by its previous model again."

    async def aclose(self) -> None:
        await self.retrainer.aclose()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, 10)


def edits(a: str, b: str) -> int:
    """How many letters to insert, delete or change to turn `a` into `b` (Levenshtein)."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]
