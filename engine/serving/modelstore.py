"""The models folder (`NAMESMITH_MODELS_DIR`): adopted styles, their predecessors, their corpora.

    <style>.pt            the adopted model; a restart serves it (it overrides the shipped one)
    <style>.prev.pt       the model it replaced; `rollback` puts it back (one level kept)
    corpora/<style>-<UTC time>-<fingerprint>.txt   every corpus accepted for a retrain
    .retrain-*/           a running job's scratch space (same filesystem, so renames are atomic)

Every write is a temp file in the same folder, fsync, `os.replace`, fsync of the folder: after a
crash at any instant `<style>.pt` is the old model or the new one, never half of one, and never
missing. A predecessor's name has a dot in its stem, so the loader never takes it for a style.
Adoptions and rollbacks hold an exclusive `flock` on `.lock` in the folder as well as a thread
lock, so replicas sharing the folder (a shared volume) take turns too.

All methods block (file I/O, torch.load); async callers run them in a thread.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from engine.corpora.corpus import Corpus
from engine.errors import CheckpointError, NothingToRollBack, TrainingBusy
from engine.serving import checkpoint
from engine.serving.registry import check_style_name
from engine.serving.trained import NameModel

log = logging.getLogger(__name__)

WORKDIR_PREFIX = ".retrain-"
LOCK_FILE = ".lock"  # held while adopting or rolling back, by whichever process does it


class ModelStore:
    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self._lock = threading.Lock()  # one adoption or rollback at a time

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """This process's threads, then every process sharing the folder, one at a time."""
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            with open(self.folder / LOCK_FILE, "a+b") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
                yield

    def claim(self, style: str) -> BinaryIO:
        """The right to train `style`, held until the returned handle is closed, against every
        process sharing the folder (replicas): a second claim raises TrainingBusy."""
        self.folder.mkdir(parents=True, exist_ok=True)
        handle = open(self.folder / f".{check_style_name(style)}.training.lock", "a+b")  # noqa: SIM115
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise TrainingBusy(
                f"{style} is being retrained by another replica; wait for it, or cancel it there"
            ) from None
        return handle

    def path(self, style: str) -> Path:
        return self.folder / f"{check_style_name(style)}.pt"

    def predecessor_path(self, style: str) -> Path:
        return self.folder / f"{check_style_name(style)}.prev.pt"

    def has_predecessor(self, style: str) -> bool:
        return self.predecessor_path(style).is_file()

    def adopt(
        self, style: str, new: bytes | str | Path, *, current: NameModel | None = None
    ) -> NameModel:
        """Make a checkpoint (its bytes or a file) the adopted model of `style` and return it.

        The adopted file it replaces becomes the predecessor. When the folder has no file for
        the style yet (or only a damaged one), `current` (the model serving now, e.g. the
        shipped one) is saved as the predecessor, so a rollback can return to it. A checkpoint
        that does not load is refused with CheckpointError before anything is replaced."""
        target = self.path(style)
        data = new if isinstance(new, bytes) else Path(new).read_bytes()
        with self._exclusive():
            tmp = self._write_temp(target.name, data)
            try:
                model = checkpoint.load(tmp)  # refuse a damaged file before touching anything
                prev = self.predecessor_path(style)
                if self._readable(target):
                    # A hard link, then a rename: the predecessor appears whole, and the
                    # adopted file never stops existing.
                    link = self.folder / f".{prev.name}.{os.getpid()}.link"
                    link.unlink(missing_ok=True)
                    os.link(target, link)
                    os.replace(link, prev)
                elif current is not None:
                    checkpoint.save(current, prev)
                else:
                    prev.unlink(missing_ok=True)  # a new style: an old predecessor is stale
                os.replace(tmp, target)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            checkpoint.fsync_dir(self.folder)
        log.info("adopted %s for style %s", target, style)
        return model

    def rollback(self, style: str) -> NameModel:
        """Put the predecessor back as the adopted model and return it. The model rolled back
        from is dropped. NothingToRollBack when there is no predecessor; CheckpointError (and
        nothing changed) when the predecessor cannot be read."""
        prev = self.predecessor_path(style)
        with self._exclusive():
            if not prev.is_file():
                raise NothingToRollBack(style)
            model = checkpoint.load(prev)
            os.replace(prev, self.path(style))  # already durable: one atomic rename
            checkpoint.fsync_dir(self.folder)
        log.info("rolled style %s back to %s", style, prev)
        return model

    def remove(self, style: str) -> bool:
        """Delete a style's adopted model and its predecessor (its kept corpora stay, for the
        record); False when the folder had no model for it. Replicas watching the folder stop
        serving the style at their next scan."""
        with self._exclusive():
            found = self.path(style).is_file()
            for path in (self.path(style), self.predecessor_path(style)):
                path.unlink(missing_ok=True)
            checkpoint.fsync_dir(self.folder)
        if found:
            log.info("removed style %s from %s", style, self.folder)
        return found

    def keep_corpus(self, style: str, corpus: Corpus) -> Path:
        """Write the cleaned corpus of a retrain (`name<TAB>label` lines) and return its path."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        folder = self.folder / "corpora"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{check_style_name(style)}-{stamp}-{corpus.fingerprint[:12]}.txt"
        lines = (
            f"{n}\t{corpus.labels[lab]}" if corpus.labels else n
            for n, lab in zip(corpus.names, corpus.label_ids, strict=True)
        )
        tmp = self._write_temp(path.name, ("\n".join(lines) + "\n").encode(), folder)
        os.replace(tmp, path)
        checkpoint.fsync_dir(folder)
        return path

    def new_workdir(self, style: str) -> Path:
        """Scratch space for one retrain, inside the folder so its results rename into place."""
        self.folder.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f"{WORKDIR_PREFIX}{style}-", dir=self.folder))

    def remove_stale_workdirs(self, older_than: float = 0.0) -> None:
        """Scratch folders and temp files left by a bot that died mid-training or mid-adoption
        (call when no job runs here).
        Replicas sharing the folder: another one's running job has a folder changed within
        its time limit, so only folders untouched for `older_than` seconds are removed."""
        if not self.folder.is_dir():
            return
        now = time.time()
        # Temp files of an adoption or a kept corpus that was killed half-way, and the scratch
        # folders of a training whose bot died.
        temps = [*self.folder.glob(".*.tmp"), *(self.folder / "corpora").glob(".*.tmp")]
        for path in [*self.folder.glob(f"{WORKDIR_PREFIX}*"), *temps]:
            try:
                age = now - path.stat().st_mtime
            except FileNotFoundError:
                continue
            if age < older_than:
                continue
            log.info("removing stale %s", path)
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)

    @staticmethod
    def _readable(path: Path) -> bool:
        """Whether a file is a checkpoint worth keeping (a damaged one was skipped at start)."""
        try:
            checkpoint.load(path)
        except CheckpointError:
            return False
        return True

    def _write_temp(self, name: str, data: bytes, folder: Path | None = None) -> Path:
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder or self.folder)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o644)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        return Path(tmp)
