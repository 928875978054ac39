"""Which model answers for each style, and the one place where a style's model changes.

The registry holds an immutable snapshot (a plain dict that is never mutated, only replaced), so
a reader takes a style's model with one lookup and keeps it for as long as it needs: a batch that
started on the old model finishes on it while new batches get the new one. A swap builds a new
snapshot under a lock and publishes it with one assignment.

Every model the engine serves comes from here, family names for full names included: a style
adopted or rolled back is the one every request gets, given names and family names alike.

Start-up is forgiving: a `<style>.pt` that cannot be read (truncated, foreign, from a newer
Namesmith) is skipped with a logged warning, and an earlier folder's model for that style (the
shipped one) keeps serving.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

from engine.errors import CheckpointError, RequestError, UnknownStyle
from engine.limits import STYLE_NAME
from engine.serving import checkpoint, heap, shared
from engine.serving.trained import NameModel

log = logging.getLogger(__name__)

# The styles that ship inside the package; a models folder loaded after it overrides them.
PACKAGED_MODELS = Path(__file__).parent.parent / "models"


def check_style_name(style: str) -> str:
    """The style name itself, or a RequestError saying what a style name may be."""
    if not STYLE_NAME.fullmatch(style):
        raise RequestError(
            f"{style!r} cannot be a style name: use 1–32 lowercase letters, digits, - or _, "
            "starting with a letter"
        )
    return style


def style_files(folder: Path) -> dict[str, Path]:
    """The `<style>.pt` files of a folder by style; predecessors and temp files are not styles."""
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.pt")) if STYLE_NAME.fullmatch(p.stem)}


def load_folder(folder: Path, *, strict: bool = True) -> dict[str, NameModel]:
    """Every style of a folder, keyed by style: those of its shared model (`_shared.pt`, the
    shipped styles), then each `<style>.pt`, which overrides a shared style of the same name.
    With `strict=False` an unreadable file is skipped with a warning instead of raising
    CheckpointError."""
    models: dict[str, NameModel] = {}
    if (folder / shared.SHARED_FILE).is_file():
        try:
            models.update(_shared_models(folder / shared.SHARED_FILE))
        except CheckpointError as exc:
            if strict:
                raise
            log.warning("skipping the shared model in %s: %s", folder, exc)
    for style, path in style_files(folder).items():
        try:
            models[style] = checkpoint.load(path)
        except CheckpointError as exc:
            if strict:
                raise
            log.warning("skipping model %s: %s", path, exc)
    heap.release()  # what reading the files left behind (a few megabytes)
    return models


def check_folder(folder: Path) -> dict[str, str | None]:
    """Each model file of a folder (its shared model, each `<style>.pt`) by file name, with why
    it does not load, or None when it does (what `namesmith doctor` reports)."""
    found: dict[str, str | None] = {}
    if (folder / shared.SHARED_FILE).is_file():
        try:
            shared.load(folder / shared.SHARED_FILE)
            found[shared.SHARED_FILE] = None
        except CheckpointError as exc:
            found[shared.SHARED_FILE] = str(exc)
    for path in style_files(folder).values():
        try:
            checkpoint.load(path)
            found[path.name] = None
        except CheckpointError as exc:
            found[path.name] = str(exc)
    return found


def _shared_models(path: Path) -> dict[str, NameModel]:
    """The styles of a shared file, read once per version of the file: a process that loads
    the package twice (the registry, then a fallback) holds one copy of the network."""
    st = path.stat()
    return _shared_cached(str(path), st.st_mtime_ns, st.st_size).models()


@functools.lru_cache(maxsize=4)
def _shared_cached(path: str, mtime_ns: int, size: int) -> shared.SharedModel:
    return shared.load(path)


def shipped_styles() -> frozenset[str]:
    """The styles that ship inside the package."""
    return frozenset(load_folder(PACKAGED_MODELS, strict=False))


class ModelRegistry:
    """style -> NameModel. Reads take no lock; swaps are atomic and never mutate a snapshot."""

    def __init__(self, models: Mapping[str, NameModel] | None = None) -> None:
        self._lock = threading.Lock()
        self._models: dict[str, NameModel] = dict(models or {})
        self._on_swap: list[Callable[[str], None]] = []

    def subscribe(self, on_swap: Callable[[str], None]) -> None:
        """Call `on_swap(style)` after every swap, from the swapping thread (an operator's
        counter); it must be quick and must not raise."""
        self._on_swap.append(on_swap)

    @classmethod
    def from_folders(cls, *folders: Path) -> ModelRegistry:
        """Load folders in order; a later folder's style replaces an earlier one's. A file that
        cannot be read is skipped with a warning and the earlier folder's model keeps serving."""
        models: dict[str, NameModel] = {}
        for folder in folders:
            for style, model in load_folder(folder, strict=False).items():
                models[style] = model
        return cls(models)

    def get(self, style: str) -> NameModel:
        models = self._models  # one read: the snapshot at this instant
        try:
            return models[style]
        except KeyError:
            raise UnknownStyle(style, list(models)) from None

    def snapshot(self) -> dict[str, NameModel]:
        """A copy of the style -> model table as it is now."""
        return dict(self._models)

    def __contains__(self, style: object) -> bool:
        return style in self._models

    def swap(self, style: str, model: NameModel) -> NameModel | None:
        """Serve `model` for `style` from now on; returns the model it replaced (None if new).
        Work that already holds the old model finishes on it."""
        with self._lock:
            old = self._models.get(style)
            self._models = {**self._models, style: model}
        log.info("style %s now served by %s (%s)", style, model.corpus_name, model.description)
        for on_swap in self._on_swap:
            on_swap(style)
        return old

    def remove(self, style: str) -> NameModel | None:
        """Stop serving `style`; returns the model it served (None if it was not served).
        Work that already holds that model finishes on it."""
        with self._lock:
            old = self._models.get(style)
            if old is not None:
                self._models = {s: m for s, m in self._models.items() if s != style}
        return old
