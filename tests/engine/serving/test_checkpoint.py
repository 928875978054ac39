from __future__ import annotations

import pickletools
import zipfile
from pathlib import Path

import pytest
import torch

from engine.errors import CheckpointError
from engine.nn.train import encode, mean_loss
from engine.serving import checkpoint
from engine.serving.registry import PACKAGED_MODELS
from engine.serving.trained import NameModel


def test_round_trip_keeps_everything(tiny_model: NameModel, tmp_path: Path) -> None:
    path = checkpoint.save(tiny_model, tmp_path / "m.pt")
    back = checkpoint.load(path)
    assert back.vocab == tiny_model.vocab
    assert back.labels == tiny_model.labels
    assert back.corpus_names == tiny_model.corpus_names
    assert back.corpus_fingerprint == tiny_model.corpus_fingerprint
    assert back.score_quantiles == pytest.approx(tiny_model.score_quantiles)
    assert back.metrics == tiny_model.metrics
    names = sorted(tiny_model.corpus_names)[:100]
    data = encode(back.vocab, names, [0] * len(names))
    assert mean_loss(back.net, data) == pytest.approx(mean_loss(tiny_model.net, data))


def test_save_leaves_no_temporary_file(tiny_model: NameModel, tmp_path: Path) -> None:
    checkpoint.save(tiny_model, tmp_path / "m.pt")
    checkpoint.save(tiny_model, tmp_path / "m.pt")
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"]


def test_truncated_file_is_refused(tiny_model: NameModel, tmp_path: Path) -> None:
    path = checkpoint.save(tiny_model, tmp_path / "m.pt")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(CheckpointError, match="damaged or truncated"):
        checkpoint.load(path)


def test_random_bytes_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.pt"
    path.write_bytes(b"definitely not a zip")
    with pytest.raises(CheckpointError, match="damaged or truncated"):
        checkpoint.load(path)


def test_a_foreign_torch_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.pt"
    torch.save({"weights": torch.zeros(3)}, path)
    with pytest.raises(CheckpointError, match="not a Namesmith checkpoint"):
        checkpoint.load(path)


def test_a_newer_format_is_refused(tiny_model: NameModel, tmp_path: Path) -> None:
    path = checkpoint.save(tiny_model, tmp_path / "m.pt")
    payload = torch.load(path, weights_only=True)
    payload["version"] = checkpoint.FORMAT_VERSION + 1
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="newer Namesmith"):
        checkpoint.load(path)


def test_missing_weights_are_refused(tiny_model: NameModel, tmp_path: Path) -> None:
    path = checkpoint.save(tiny_model, tmp_path / "m.pt")
    payload = torch.load(path, weights_only=True)
    del payload["state_dict"]["head.weight"]
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="incomplete or inconsistent"):
        checkpoint.load(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        checkpoint.load(tmp_path / "nope.pt")


def _pickled_globals(path: Path) -> set[str]:
    """Every class or function the checkpoint's pickle refers to, as "module name"."""
    with zipfile.ZipFile(path) as z:
        (pkl,) = [n for n in z.namelist() if n.endswith("/data.pkl")]
        ops = list(pickletools.genops(z.read(pkl)))
    # torch.save pickles with protocol 2, which names every global with one GLOBAL opcode.
    assert not [op for op, _, _ in ops if op.name == "STACK_GLOBAL"]
    return {str(arg) for op, arg, _ in ops if op.name == "GLOBAL"}


def test_the_shipped_model_refers_to_no_engine_module() -> None:
    """Checkpoints hold plain values and tensors (and load with weights_only=True): moving the
    engine's modules cannot break one written before the move."""
    modules = {g.split(" ")[0] for g in _pickled_globals(PACKAGED_MODELS / "_shared.pt")}
    assert modules == {"collections", "torch", "torch._utils"}


def test_a_new_checkpoint_refers_to_no_engine_module(tiny_model: NameModel, tmp_path: Path) -> None:
    path = checkpoint.save(tiny_model, tmp_path / "m.pt")
    modules = {g.split(" ")[0] for g in _pickled_globals(path)}
    assert modules == {"collections", "torch", "torch._utils"}
