from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from engine.corpora import corpus
from engine.errors import CheckpointError, NothingToRollBack
from engine.serving import checkpoint
from engine.serving.modelstore import ModelStore
from engine.serving.registry import ModelRegistry
from engine.serving.trained import NameModel


def _ckpt(model: NameModel, tmp_path: Path, description: str) -> bytes:
    path = checkpoint.save(replace(model, description=description), tmp_path / f"{description}.pt")
    return path.read_bytes()


def test_adopt_writes_the_style_and_keeps_the_predecessor(
    tiny_model: NameModel, tmp_path: Path
) -> None:
    store = ModelStore(tmp_path / "models")
    store.adopt("elf", _ckpt(tiny_model, tmp_path, "one"))
    assert not store.has_predecessor("elf")  # a new style has none
    got = store.adopt("elf", _ckpt(tiny_model, tmp_path, "two"))
    assert got.description == "two"
    assert checkpoint.load(store.path("elf")).description == "two"
    assert checkpoint.load(store.predecessor_path("elf")).description == "one"
    assert sorted(p.name for p in store.folder.iterdir()) == [".lock", "elf.prev.pt", "elf.pt"]


def test_adopting_over_a_shipped_model_keeps_it_as_the_predecessor(
    tiny_model: NameModel, tmp_path: Path
) -> None:
    store = ModelStore(tmp_path / "models")
    store.adopt("english", _ckpt(tiny_model, tmp_path, "new"), current=tiny_model)
    assert store.rollback("english").description == tiny_model.description


def test_a_damaged_checkpoint_is_refused_and_nothing_changes(
    tiny_model: NameModel, tmp_path: Path
) -> None:
    store = ModelStore(tmp_path / "models")
    store.adopt("elf", _ckpt(tiny_model, tmp_path, "one"))
    before = store.path("elf").read_bytes()
    with pytest.raises(CheckpointError):
        store.adopt("elf", b"half a checkpoint")
    assert store.path("elf").read_bytes() == before
    assert sorted(p.name for p in store.folder.iterdir()) == [".lock", "elf.pt"]


def test_rollback_restores_the_predecessor_once(tiny_model: NameModel, tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    store.adopt("elf", _ckpt(tiny_model, tmp_path, "one"))
    store.adopt("elf", _ckpt(tiny_model, tmp_path, "two"))
    assert store.rollback("elf").description == "one"
    assert checkpoint.load(store.path("elf")).description == "one"
    with pytest.raises(NothingToRollBack, match="nothing to roll back for elf"):
        store.rollback("elf")


def test_rollback_of_a_style_never_adopted(tmp_path: Path) -> None:
    with pytest.raises(NothingToRollBack, match="nothing to roll back for dwarf"):
        ModelStore(tmp_path).rollback("dwarf")


def test_a_restart_serves_what_was_adopted_or_rolled_back(
    tiny_model: NameModel, tmp_path: Path
) -> None:
    shipped = tmp_path / "shipped"
    checkpoint.save(tiny_model, shipped / "english.pt")
    store = ModelStore(tmp_path / "models")
    store.adopt("english", _ckpt(tiny_model, tmp_path, "adopted"), current=tiny_model)
    store.adopt("goblin", _ckpt(tiny_model, tmp_path, "goblins"))
    reg = ModelRegistry.from_folders(shipped, store.folder)
    assert {s: m.description for s, m in reg.snapshot().items()} == {
        "english": "adopted",
        "goblin": "goblins",
    }
    store.rollback("english")
    reg = ModelRegistry.from_folders(shipped, store.folder)
    assert reg.get("english").description == tiny_model.description


def test_keep_corpus_writes_the_cleaned_names(tmp_path: Path) -> None:
    c = corpus.clean("x", [(f"Name{i}", "f" if i % 2 else "m") for i in range(60)])
    path = ModelStore(tmp_path).keep_corpus("elf", c)
    assert path.parent == tmp_path / "corpora"
    assert path.name.startswith("elf-") and c.fingerprint[:12] in path.name
    assert corpus.read_file(path).fingerprint == c.fingerprint


def test_bad_style_names_never_become_paths(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="cannot be a style name"):
        ModelStore(tmp_path).path("../../etc/passwd")


def test_an_adoption_waits_for_another_process_that_holds_the_folder(
    tmp_path: Path, tiny_model: NameModel
) -> None:
    """Replicas sharing the models folder take turns: the lock is a file lock, not only a
    thread lock."""
    import subprocess
    import sys

    store = ModelStore(tmp_path / "models")
    store.folder.mkdir(parents=True)
    released = tmp_path / "released"
    script = (
        "import fcntl, sys, time\n"
        f"f = open({str(store.folder / '.lock')!r}, 'a+b')\n"
        "fcntl.flock(f, fcntl.LOCK_EX)\n"
        "print('held', flush=True)\n"
        "time.sleep(0.5)\n"
        f"open({str(released)!r}, 'w').close()\n"
    )
    new = checkpoint.save(tiny_model, tmp_path / "new.pt")
    with subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True
    ) as other:
        assert other.stdout is not None and other.stdout.readline() == "held\n"
        store.adopt("gnome", new)
        assert released.exists()  # the adoption waited for the other process to let go
        other.wait(timeout=10)
    assert store.path("gnome").is_file()


def test_temp_files_and_folders_a_killed_adoption_left_are_swept(tmp_path: Path) -> None:
    store = ModelStore(tmp_path)
    (tmp_path / "corpora").mkdir()
    left = [tmp_path / ".elf.pt.x1.tmp", tmp_path / "corpora" / ".elf-1.txt.x2.tmp"]
    for path in left:
        path.write_bytes(b"half a file")
    (tmp_path / ".retrain-elf-1").mkdir()
    kept = tmp_path / "elf.pt"
    kept.write_bytes(b"a model")
    store.remove_stale_workdirs(older_than=0.0)
    assert not any(p.exists() for p in [*left, tmp_path / ".retrain-elf-1"])
    assert kept.exists()


def test_a_young_temp_file_may_be_another_replicas_and_stays(tmp_path: Path) -> None:
    young = tmp_path / ".elf.pt.x1.tmp"
    young.write_bytes(b"being written")
    ModelStore(tmp_path).remove_stale_workdirs(older_than=3600.0)
    assert young.exists()
