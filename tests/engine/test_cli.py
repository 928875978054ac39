"""`namesmith` engine commands, called in-process through the real argument parser."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pytest

from bot.cli import build_parser, main
from engine.cli import _Help
from engine.serving import checkpoint
from engine.serving.trained import NameModel


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
        (["sample", "--style", "klingon"], "unknown style 'klingon'; the styles command lists all"),
        (["sample", "--style", "dwarrf"], "unknown style 'dwarrf' (did you mean dwarf?)"),
        (["sample", "--style", "elf+dwarrf"], "unknown style 'dwarrf' (did you mean dwarf?)"),
        (["sample", "--style", "elf:1+dwarf:0+human:0+goblin:0+orc:0"], "at most 4 styles"),
        (["sample", "--style", "half-elf", "--full"], "has no family names"),
        (["sample", "--like", "x" * 40], "--like takes a name of 1 to 32 letters"),
        (["sample", "--style", "elf", "--like", "Жанна"], "the name to resemble"),
        (["sample", "--style", "towns", "--gender", "neutral"], "no gender-neutral names"),
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
    styles = {s["style"]: s for s in json.loads(capsys.readouterr().out)["styles"]}
    # The shipped styles, the models folder's english over the shipped one.
    assert styles["english"]["description"] == "tiny test model"
    assert styles["english"]["labels"] == ["female", "male"] and "towns" in styles
    # A shipped style names its source and licence; a user's list has none to name.
    assert styles["towns"]["source"] == "faker (MIT)" and styles["english"]["source"] is None


def test_sample_blends_neutral_and_like_from_the_shipped_model(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["sample", "--style", "elf:70+dwarf:30", "-n", "3", "--seed", "1"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3
    assert main(["sample", "--style", "half-elf", "--gender", "neutral", "-n", "3"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3
    assert main(["sample", "--style", "tavern", "-n", "3", "--seed", "1"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3
    for args in (["half-orc"], ["dragonborn", "--full"], ["greek", "--full"], ["thai"]):
        assert main(["sample", "--style", *args, "-n", "3", "--seed", "1"]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert len(lines) == 3 and all(len(n.split()) == len(args) for n in lines)
    assert main(["sample", "--like", "Legolas", "-n", "4", "--seed", "1"]) == 0
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 4 and "Legolas" not in out.splitlines()
    # Without a style, the style of given names Legolas is likeliest in (the model's view).
    assert re.fullmatch(r"\(style: [a-z]+, the one Legolas fits best\)\n", err)


def test_evaluate_reads_a_shared_file_for_the_style_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from engine.serving.registry import PACKAGED_MODELS

    names = tmp_path / "t.txt"
    names.write_text("Galadriel\nElrond\n")
    shared_file = str(PACKAGED_MODELS / "_shared.pt")
    assert main(["evaluate", "--checkpoint", shared_file, "--names", str(names)]) == 2
    assert "say which with --style" in capsys.readouterr().err
    assert main(["evaluate", "--checkpoint", shared_file, "--style", "elf", "--names",
                 str(names), "--json"]) == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out)["names"] == 2


def test_train_then_evaluate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    names = tmp_path / "names.txt"
    names.write_text("".join(f"{a}{b}ana\n" for a in "BCDFGHKLMN" for b in "aeiou"))
    out = tmp_path / "m.pt"
    args = ["train", "--corpus", str(names), "--out", str(out), "--max-steps", "30",
            "--hidden", "16", "--embd", "8", "--quiet"]  # fmt: skip
    assert main(args) == 0
    assert "(as a voice of the shipped model)" in capsys.readouterr().out
    assert checkpoint.load(out).corpus_name == "names.txt"
    assert checkpoint.load(out).metrics["from"] == "shared"
    assert main(["evaluate", "--checkpoint", str(out), "--names", str(names), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["names"] == 50
    assert 0 < result["nll"] < 5


def test_train_from_scratch_when_asked_or_when_the_shared_model_cannot_learn_the_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = tmp_path / "names.txt"
    names.write_text("".join(f"{a}{b}ana\n" for a in "BCDFGHKLMN" for b in "aeiou"))
    args = ["train", "--corpus", str(names), "--out", str(tmp_path / "a.pt"), "--max-steps",
            "20", "--hidden", "16", "--embd", "8", "--quiet"]  # fmt: skip
    assert main([*args, "--from-scratch"]) == 0
    assert "(from scratch)" in capsys.readouterr().out
    unseen = tmp_path / "tr.txt"
    unseen.write_text("".join(f"{a}{b}ŋœ\n" for a in "BCDFGHKLMN" for b in "aeiou"))
    args[2] = str(unseen)
    assert main(args) == 0
    out, err = capsys.readouterr()
    assert "(from scratch)" in out and "the shared model has never seen ŋ, œ" in err


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


def test_sample_help_gives_every_option_a_default() -> None:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    sample = sub.choices["sample"]
    helper = _Help("namesmith sample")
    options = [a for a in sample._actions if a.option_strings and a.dest != "help"]
    assert len(options) >= 14
    assert [a.dest for a in options if "default" not in (helper._get_help_string(a) or "")] == []
    text = " ".join(sample.format_help().split())
    assert "(default: 1.0)" in text
    assert "(default: 10)" in text


def test_sample_notes_go_to_stderr_and_names_alone_to_stdout(
    models: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["sample", "--models", str(models), "--ends", "qqqq", "-n", "3", "--seed", "1"]
    assert main(args) == 0
    out, err = capsys.readouterr()
    assert "found" not in out and "(" not in out
    assert "found 0 of 3 names that end with 'qqqq'" in err


def test_sample_withholds_offensive_names_unless_told_not_to(
    models: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["sample", "--models", str(models), "--prefix", "Shit", "-n", "3"])
    out, err = capsys.readouterr()
    assert out.strip() == ""
    assert "the word filter withholds them" in err
    main(["sample", "--models", str(models), "--prefix", "Shit", "-n", "3", "--no-filter"])
    assert len(capsys.readouterr().out.split()) == 3


def test_score_explains_itself_in_words(models: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", "Margaret", "--models", str(models)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^Margaret: more name-like than \d+% of the real english names", out)
    assert "(it is one of them)" in out
    assert "the median english name" in out


def test_score_of_a_name_with_letters_the_style_never_uses(
    models: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["score", "Zoë", "--models", str(models), "--json"]) == 0
    score = json.loads(capsys.readouterr().out)
    assert score["percentile"] == 0
    assert score["loglik_per_token"] is None
    assert score["unknown_letters"] == ["ë"]
    assert score["note"] == "the english style never uses ë"


def test_evaluate_cleans_its_input_as_train_does(
    models: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = tmp_path / "t.txt"
    lines = ["Anna", "  Anna  ", "", "Bob\tmale", "A" * 40, "Eve\x07", "Margaret"]
    names.write_text("\n".join(lines) + "\n")
    args = ["evaluate", "--checkpoint", str(models / "english.pt"), "--names", str(names)]
    assert main([*args, "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["names"] == 4  # Anna twice, Bob, Margaret
    assert "longer than 32 characters" in err and "control characters" in err


def test_sample_full_names(
    models: Path, tiny_model: NameModel, capsys: pytest.CaptureFixture[str]
) -> None:
    checkpoint.save(tiny_model, models / "surnames.pt")  # any model serves as family names here
    assert main(["sample", "--models", str(models), "--full", "-n", "5", "--seed", "2"]) == 0
    names = capsys.readouterr().out.splitlines()
    assert len(names) == 5
    assert all(len(n.split(" ")) == 2 for n in names)
