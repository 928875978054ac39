"""The models folder watch: what another process adopts, rolls back or removes is served."""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from pathlib import Path

import pytest

from engine.errors import UnknownStyle
from engine.serving import checkpoint
from engine.serving.modelstore import ModelStore
from engine.serving.registry import ModelRegistry
from engine.serving.trained import NameModel
from engine.serving.watch import Changes, ModelsWatch


@pytest.fixture
def shipped(tiny_model: NameModel, tmp_path: Path) -> Path:
    folder = tmp_path / "shipped"
    checkpoint.save(replace(tiny_model, description="shipped english"), folder / "english.pt")
    return folder


@pytest.fixture
def store(tmp_path: Path) -> ModelStore:
    return ModelStore(tmp_path / "models")


@pytest.fixture
def watch(shipped: Path, store: ModelStore) -> ModelsWatch:
    """A replica started on the shipped folder, watching a (still empty) models folder."""
    registry = ModelRegistry.from_folders(shipped, store.folder)
    return ModelsWatch(registry, store.folder, shipped)


def _bytes(model: NameModel, description: str, tmp_path: Path) -> bytes:
    path = checkpoint.save(replace(model, description=description), tmp_path / f"{description}.pt")
    return path.read_bytes()


def served(watch: ModelsWatch, style: str) -> str:
    return watch.registry.get(style).description


def test_a_missing_folder_is_an_empty_one(watch: ModelsWatch) -> None:
    assert not watch.refresh()
    assert served(watch, "english") == "shipped english"


def test_a_new_style_adopted_elsewhere_is_served(
    watch: ModelsWatch, store: ModelStore, tiny_model: NameModel, tmp_path: Path
) -> None:
    store.adopt("elf", _bytes(tiny_model, "elf v1", tmp_path))
    assert watch.refresh() == Changes(loaded=("elf",))
    assert served(watch, "elf") == "elf v1"


def test_a_changed_model_is_served_and_nothing_reloads_while_nothing_changes(
    watch: ModelsWatch, store: ModelStore, tiny_model: NameModel, tmp_path: Path
) -> None:
    current = watch.registry.get("english")
    store.adopt("english", _bytes(tiny_model, "english v2", tmp_path), current=current)
    assert watch.refresh() == Changes(loaded=("english",))
    v2 = watch.registry.get("english")
    assert v2.description == "english v2"
    assert not watch.refresh()
    assert watch.registry.get("english") is v2  # not loaded again
    store.adopt("english", _bytes(tiny_model, "english v3", tmp_path))
    assert watch.refresh() == Changes(loaded=("english",))
    assert served(watch, "english") == "english v3"


def test_a_rollback_elsewhere_is_served(
    watch: ModelsWatch, store: ModelStore, tiny_model: NameModel, tmp_path: Path
) -> None:
    store.adopt("elf", _bytes(tiny_model, "elf v1", tmp_path))
    store.adopt("elf", _bytes(tiny_model, "elf v2", tmp_path))
    watch.refresh()
    assert served(watch, "elf") == "elf v2"
    store.rollback("elf")
    assert watch.refresh() == Changes(loaded=("elf",))
    assert served(watch, "elf") == "elf v1"


def test_a_removed_file_reverts_to_the_shipped_model_or_drops_the_style(
    watch: ModelsWatch, store: ModelStore, tiny_model: NameModel, tmp_path: Path
) -> None:
    store.adopt("english", _bytes(tiny_model, "english v2", tmp_path))
    store.adopt("elf", _bytes(tiny_model, "elf v1", tmp_path))
    watch.refresh()
    store.path("english").unlink()
    store.path("elf").unlink()
    assert watch.refresh() == Changes(reverted=("english",), dropped=("elf",))
    assert served(watch, "english") == "shipped english"
    with pytest.raises(UnknownStyle):
        watch.registry.get("elf")


def test_an_unreadable_file_is_skipped_once_and_served_when_fixed(
    watch: ModelsWatch,
    store: ModelStore,
    tiny_model: NameModel,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    store.adopt("english", _bytes(tiny_model, "english v2", tmp_path))
    watch.refresh()
    good = watch.registry.get("english")
    damaged = tmp_path / "damaged.pt"
    damaged.write_bytes(b"not a checkpoint at all")
    os.replace(damaged, store.path("english"))
    with caplog.at_level(logging.WARNING, logger="engine.serving.watch"):
        assert watch.refresh() == Changes(failed=("english",))
        assert not watch.refresh()  # not tried again until it changes
    assert len([r for r in caplog.records if "skipping model" in r.getMessage()]) == 1
    assert watch.registry.get("english") is good  # the current model keeps serving
    fixed = tmp_path / "fixed.pt"
    fixed.write_bytes(_bytes(tiny_model, "english v3", tmp_path))
    os.replace(fixed, store.path("english"))
    assert watch.refresh() == Changes(loaded=("english",))
    assert served(watch, "english") == "english v3"


def test_the_first_refresh_loads_what_the_folder_holds_whatever_the_registry_started_with(
    shipped: Path, store: ModelStore, tiny_model: NameModel, tmp_path: Path
) -> None:
    """A replica that loaded its registry just before a peer adopted a model still serves it."""
    registry = ModelRegistry.from_folders(shipped, store.folder)
    store.adopt("english", _bytes(tiny_model, "adopted while starting", tmp_path))
    watch = ModelsWatch(registry, store.folder, shipped)
    assert watch.refresh() == Changes(loaded=("english",))
    assert served(watch, "english") == "adopted while starting"


def test_predecessors_and_temp_files_are_not_styles(
    watch: ModelsWatch, store: ModelStore, tiny_model: NameModel, tmp_path: Path
) -> None:
    store.adopt("elf", _bytes(tiny_model, "elf v1", tmp_path))
    store.adopt("elf", _bytes(tiny_model, "elf v2", tmp_path))  # elf.prev.pt now exists
    (store.folder / ".elf.pt.123.tmp").write_bytes(b"half a file")
    assert watch.refresh() == Changes(loaded=("elf",))
    assert set(watch.registry.snapshot()) == {"english", "elf"}
