from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from engine.errors import CheckpointError, RequestError, UnknownStyle
from engine.serving import checkpoint
from engine.serving.generator import NameEngine
from engine.serving.registry import ModelRegistry, check_folder, check_style_name, load_folder
from engine.serving.sampling import GenerationRequest
from engine.serving.trained import NameModel


@pytest.fixture
def folders(tiny_model: NameModel, tmp_path: Path) -> tuple[Path, Path]:
    """A 'shipped' folder with english and elf, and an empty models folder."""
    shipped, models = tmp_path / "shipped", tmp_path / "models"
    checkpoint.save(tiny_model, shipped / "english.pt")
    checkpoint.save(tiny_model, shipped / "elf.pt")
    models.mkdir()
    return shipped, models


def test_swap_returns_the_old_model_and_serves_the_new(tiny_model: NameModel) -> None:
    reg = ModelRegistry({"english": tiny_model})
    other = replace(tiny_model, description="other")
    assert reg.swap("english", other) is tiny_model
    assert reg.get("english") is other
    assert reg.swap("new", tiny_model) is None
    assert set(reg.snapshot()) == {"english", "new"}


def test_subscribers_hear_of_every_swap_but_not_of_a_removal(tiny_model: NameModel) -> None:
    reg = ModelRegistry({"english": tiny_model})
    heard: list[str] = []
    reg.subscribe(heard.append)
    reg.swap("english", tiny_model)
    reg.swap("elf", tiny_model)
    reg.remove("elf")
    assert heard == ["english", "elf"]


def test_check_folder_says_which_files_load(
    folders: tuple[Path, Path], tiny_model: NameModel
) -> None:
    _, models = folders
    checkpoint.save(tiny_model, models / "gnome.pt")
    (models / "elf.pt").write_bytes(b"not a checkpoint")
    (models / "elf.prev.pt").write_bytes(b"a predecessor is not a style")
    found = check_folder(models)
    assert set(found) == {"gnome.pt", "elf.pt"}
    assert found["gnome.pt"] is None
    assert found["elf.pt"] is not None and found["elf.pt"].startswith("elf.pt: ")


def test_a_snapshot_does_not_change_with_a_swap(tiny_model: NameModel) -> None:
    reg = ModelRegistry({"english": tiny_model})
    before = reg.snapshot()
    reg.swap("elf", tiny_model)
    assert set(before) == {"english"}


def test_unknown_style(tiny_model: NameModel) -> None:
    with pytest.raises(UnknownStyle, match="known styles: english"):
        ModelRegistry({"english": tiny_model}).get("vulcan")


@pytest.mark.parametrize("name", ["", "Elf", "elf.prev", "../elf", "1elf", "e" * 33, "elf pt"])
def test_bad_style_names_are_refused(name: str) -> None:
    with pytest.raises(RequestError, match="cannot be a style name"):
        check_style_name(name)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]), id="cut"),
        pytest.param(lambda p: p.write_bytes(b"not a checkpoint at all"), id="garbage"),
        pytest.param(lambda p: p.write_bytes(b""), id="empty"),
    ],
)
def test_start_up_skips_a_bad_model_and_serves_the_shipped_one(
    folders: tuple[Path, Path],
    tiny_model: NameModel,
    caplog: pytest.LogCaptureFixture,
    damage: Callable[[Path], object],
) -> None:
    shipped, models = folders
    bad = checkpoint.save(tiny_model, models / "english.pt")
    damage(bad)
    with caplog.at_level(logging.WARNING, logger="engine.serving.registry"):
        engine = NameEngine.from_folders(shipped, models)
    assert set(engine.styles) == {"english", "elf"}
    assert engine.model("english").corpus_fingerprint == tiny_model.corpus_fingerprint
    assert any("english.pt" in r.getMessage() for r in caplog.records)


def test_start_up_skips_a_foreign_torch_file(
    folders: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    shipped, models = folders
    torch.save({"weights": torch.zeros(3)}, models / "elf.pt")
    torch.save({"weights": torch.zeros(3)}, models / "goblin.pt")  # a new style, unreadable
    with caplog.at_level(logging.WARNING, logger="engine.serving.registry"):
        engine = NameEngine.from_folders(shipped, models)
    assert set(engine.styles) == {"english", "elf"}
    assert len([r for r in caplog.records if "not a Namesmith checkpoint" in r.getMessage()]) == 2


async def test_the_engine_serves_after_skipping(folders: tuple[Path, Path]) -> None:
    shipped, models = folders
    (models / "english.pt").write_bytes(b"\x00" * 100)
    engine = NameEngine.from_folders(shipped, models)
    try:
        res = await engine.generate(GenerationRequest(style="english", count=3))
        assert len(res.names) == 3
    finally:
        await engine.aclose()


def test_an_adopted_model_overrides_the_shipped_one(
    folders: tuple[Path, Path], tiny_model: NameModel
) -> None:
    shipped, models = folders
    adopted = replace(tiny_model, description="mine")
    checkpoint.save(adopted, models / "english.pt")
    reg = ModelRegistry.from_folders(shipped, models)
    assert reg.get("english").description == "mine"
    assert reg.get("elf").description == tiny_model.description


def test_predecessors_and_temp_files_are_not_styles(
    folders: tuple[Path, Path], tiny_model: NameModel
) -> None:
    shipped, models = folders
    checkpoint.save(tiny_model, models / "english.prev.pt")
    checkpoint.save(tiny_model, models / ".english.pt.abc.tmp")
    assert set(ModelRegistry.from_folders(shipped, models).snapshot()) == {"english", "elf"}


def test_load_folder_stays_strict(folders: tuple[Path, Path]) -> None:
    """The command line's loader names a bad file instead of skipping it."""
    shipped, _ = folders
    (shipped / "elf.pt").write_bytes(b"junk")
    with pytest.raises(CheckpointError, match=r"elf\.pt"):
        load_folder(shipped)
