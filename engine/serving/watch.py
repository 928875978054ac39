"""Keep a registry in step with a models folder that other processes write to.

Replicas share one models folder (a shared volume). A model adopted or rolled back by one of
them is a `<style>.pt` replaced there with `os.replace`, so every other replica finds it by
looking: `refresh()` compares each file's signature (mtime, size, inode) with the one it saw
last, loads what is new or changed and swaps it into the registry, and puts a style whose file
went away back on its fallback (shipped) model. An atomic rename means a reader sees the old
file or the new one, never half of one; a file that still does not load (copied in by hand, from
a newer Namesmith) is skipped with a warning, the model serving now keeps serving, and it is
tried again only when it changes.

A scan is a directory listing and a few `stat` calls: cheap enough to run every couple of
seconds. `refresh()` blocks (torch.load); async callers run it in a thread.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from engine.errors import CheckpointError
from engine.serving import checkpoint
from engine.serving.registry import ModelRegistry, load_folder, style_files
from engine.serving.trained import NameModel

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Signature:
    """What changes when a file is replaced or rewritten (a rename brings a new inode)."""

    mtime_ns: int
    size: int
    inode: int


@dataclass(frozen=True, slots=True)
class Changes:
    """What one refresh did, by style."""

    loaded: tuple[str, ...] = ()  # a new or changed file, now served
    reverted: tuple[str, ...] = ()  # file gone: back on the fallback model
    dropped: tuple[str, ...] = ()  # file gone and no fallback: the style is no longer served
    failed: tuple[str, ...] = ()  # a new or changed file that did not load: nothing changed

    def __bool__(self) -> bool:
        return bool(self.loaded or self.reverted or self.dropped or self.failed)


def signatures(folder: Path) -> dict[str, Signature]:
    """The signature of every `<style>.pt` in a folder, by style."""
    found: dict[str, Signature] = {}
    for style, path in style_files(folder).items():
        try:
            st = path.stat()
        except FileNotFoundError:  # replaced or removed between the listing and the stat
            continue
        found[style] = Signature(st.st_mtime_ns, st.st_size, st.st_ino)
    return found


class ModelsWatch:
    """Serve what the models folder holds: each `<style>.pt` there, else the fallback folder's.

    The first refresh loads every file in the folder (whatever the registry was started with),
    so a change made while this process was starting is never missed."""

    def __init__(self, registry: ModelRegistry, folder: str | Path, fallback: str | Path) -> None:
        self.registry = registry
        self.folder = Path(folder)
        self.fallback = Path(fallback)
        self._seen: dict[str, Signature] = {}
        self._lock = threading.Lock()  # one refresh at a time

    def refresh(self) -> Changes:
        """Bring the registry in step with the folder; returns what changed."""
        with self._lock:
            try:
                now = signatures(self.folder)
            except OSError as exc:  # the shared volume went away: keep serving what we have
                log.warning("cannot scan the models folder %s: %s", self.folder, exc)
                return Changes()
            loaded: list[str] = []
            failed: list[str] = []
            reverted: list[str] = []
            dropped: list[str] = []
            for style, sig in now.items():
                if self._seen.get(style) == sig:
                    continue
                # Remember the signature taken before the load: if the file is replaced while
                # it loads, the next scan sees a different one and loads it again.
                self._seen[style] = sig
                try:
                    model = checkpoint.load(self.folder / f"{style}.pt")
                except CheckpointError as exc:
                    log.warning("skipping model %s/%s.pt: %s", self.folder, style, exc)
                    failed.append(style)
                    continue
                self.registry.swap(style, model)
                loaded.append(style)
            for style in sorted(set(self._seen) - set(now)):
                del self._seen[style]
                fallback = self._fallback(style)
                if fallback is None:
                    if self.registry.remove(style) is not None:
                        log.info("style %s removed from %s: no longer served", style, self.folder)
                        dropped.append(style)
                else:
                    self.registry.swap(style, fallback)
                    log.info(
                        "style %s removed from %s: back on %s", style, self.folder, self.fallback
                    )
                    reverted.append(style)
            return Changes(tuple(loaded), tuple(reverted), tuple(dropped), tuple(failed))

    def _fallback(self, style: str) -> NameModel | None:
        """The fallback folder's model of the style (its own file or its shared model)."""
        return load_folder(self.fallback, strict=False).get(style)
