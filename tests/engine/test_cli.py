"""`namesmith` engine commands, called in-process through the real argument parser."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from engine import checkpoint
from engine.namemodel import NameModel


@pytest.fixture
def models(tiny_model: NameModel, tmp_path: Path) -> Path:
    folder = tmp_path / "models"
    checkpoint.save(tiny_model, folder / "english.pt")
    return folder


def test_sample_json(models: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["sample", "--models", str(models), "--prefix", "Eld", "-n", "4", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert len(out["names"]) == 4
    assert all(n.startswith("Eld") for n in out["names"])


def test_sample_with_a_seed_repeats(models: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["sample", "--models", str(models), "--seed", "3"])
    first = capsys.readouterr().out
    main(["sample", "--models", str(models), "--seed", "3"])
    assert capsys.readouterr().out == first


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sample", "--temperature", "0"], "temperature must be a number between 0.1 and 3"),
        (["sample", "--style", "klingon"], "unknown style 'klingon'; known styles: english"),
        (["sample", "--min-len", "9", "--max-len", "3"], "shortest length (9)"),
        (["score", ""], "give a name to rate"),
    ],
)
def test_errors_exit_2_with_the_message(
    models: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main([*args, "--models", str(models)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_score_and_styles(models: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["score", "Margaret", "--models", str(models), "--json"])
    score = json.loads(capsys.readouterr().out)
    assert score["in_corpus"]
    assert 0 <= score["percentile"] <= 100
    main(["styles", "--models", str(models), "--json"])
    (style,) = json.loads(capsys.readouterr().out)["styles"]
    assert style["style"] == "english"
    assert style["labels"] == ["female", "male"]


def test_train_then_evaluate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    names = tmp_path / "names.txt"
    names.write_text("".join(f"{a}{b}ana\n" for a in "BCDFGHKLMN" for b in "aeiou"))
    out = tmp_path / "m.pt"
    args = ["train", "--corpus", str(names), "--out", str(out), "--max-steps", "30",
            "--hidden", "16", "--embd", "8", "--quiet"]  # fmt: skip
    assert main(args) == 0
    assert "wrote" in capsys.readouterr().out
    assert checkpoint.load(out).corpus_name == "names.txt"
    assert main(["evaluate", "--checkpoint", str(out), "--names", str(names), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["names"] == 50
    assert 0 < result["nll"] < 5


def test_train_refuses_a_bad_corpus(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x00\x01\x02")
    assert main(["train", "--corpus", str(bad), "--out", str(tmp_path / "m.pt")]) == 2
    assert "not a text file" in capsys.readouterr().err


def test_evaluate_names_unknown_letters(
    models: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = tmp_path / "t.txt"
    names.write_text("Anna\nЖанна\n")
    assert (
        main(["evaluate", "--checkpoint", str(models / "english.pt"), "--names", str(names)]) == 2
    )
    assert "unknown letters" in capsys.readouterr().err
