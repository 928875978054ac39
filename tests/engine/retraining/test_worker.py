"""The training process's side: what crosses from the supervisor to the child."""

from __future__ import annotations

from pathlib import Path

from engine.corpora import corpus
from engine.retraining import worker


def test_the_corpus_reaches_the_child_unchanged(tmp_path: Path) -> None:
    """The corpus goes by file (a spec over the pipe's buffer would hang the spawn)."""
    data = corpus.clean("elf", [(f"Name{c}{d}", "female" if d < "m" else "male")
                                for c in "abcdefghij" for d in "aeimpz"])  # fmt: skip
    worker.write_corpus(data, tmp_path / "corpus.json")
    assert worker.read_corpus(tmp_path / "corpus.json") == data
