"""Shared fixtures: a tiny model trained in seconds on a corpus that ships with a package."""

from __future__ import annotations

import os

# python-telegram-bot: opt in to timedelta retry_after now, as its deprecation warning asks.
os.environ.setdefault("PTB_TIMEDELTA", "1")

from collections.abc import Iterator

import pytest
import torch

from engine.corpora import corpus
from engine.nn.joint import NONE, JointConfig
from engine.nn.jointtrain import JointTrainConfig, StyleSet, train_joint
from engine.nn.model import ModelConfig
from engine.nn.train import TrainConfig, split, train
from engine.serving import checkpoint, shared
from engine.serving.shared import SharedModel
from engine.serving.trained import NameModel
from tests.storage.pgserver import PgServer, TempPostgres, find_bindir

# One intra-op thread: tests run beside each other and beside training; two OpenMP teams
# spinning on two cores slow everything down many times over.
torch.set_num_threads(1)

TINY = ModelConfig(
    vocab_size=0, n_embd=16, n_label_embd=4, n_hidden=48, dropout=0.0, weight_drop=0.0
)
TINY_TRAIN = TrainConfig(seconds=600, max_steps=400, batch_size=64, lr=1e-2, eval_every=100)


@pytest.fixture(scope="session")
def english() -> corpus.Corpus:
    return corpus.load("english")


@pytest.fixture(scope="session")
def tiny_model(english: corpus.Corpus) -> NameModel:
    """English first names by gender, a small LSTM, 400 steps: enough to be name-like."""
    result = train(english, TINY_TRAIN, TINY)
    metrics = {"val_nll": result.val_nll, "steps": result.steps}
    return checkpoint.build(result.model, result.vocab, english, metrics, "tiny test model")


TINY_JOINT = JointConfig(
    vocab_size=0, n_styles=0, n_labels=0, n_embd=16, n_style_embd=8, n_label_embd=4,
    n_hidden=48, dropout=0.0, weight_drop=0.0,
)  # fmt: skip
TINY_JOINT_TRAIN = JointTrainConfig(
    steps=300, batch_size=64, lr=1e-2, warmup_steps=20, eval_every=100, head_epochs=3, threads=1
)


@pytest.fixture(scope="session")
def tiny_shared(english: corpus.Corpus) -> SharedModel:
    """A shared model of three styles trained together in seconds by the code that trains the
    shipped one: English first names and elf names (both by gender), Italian family names
    (no genders)."""
    corpora = {
        "english": english,
        "elf": corpus.load("elf"),
        "italian-surnames": corpus.load("italian-surnames"),
    }
    sets = []
    for style, c in corpora.items():
        tr, va = split(c, 0.05, 1337)
        labels = [c.labels[i] if c.labels else NONE for i in c.label_ids]
        sets.append(StyleSet(style, c.names, labels, tr, va))
    result = train_joint(sets, TINY_JOINT_TRAIN, TINY_JOINT)
    return shared.build(result, corpora, {s: f"tiny {s}" for s in corpora})


# A PostgreSQL server for the session (the storage suite on both engines, the replica tests).
_SKIPPED: list[str] = []


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    bindir = find_bindir()
    if bindir is None:
        reason = (
            "PostgreSQL tests SKIPPED: no pg_ctl on PATH or under /usr/lib/postgresql/*/bin; "
            "install Debian's postgresql package (.ci/run does) to run them"
        )
        if os.environ.get("NAMESMITH_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason.replace("SKIPPED", "required"))
        _SKIPPED.append(reason)
        pytest.skip(reason)
    with TempPostgres(bindir) as server:
        yield server


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _SKIPPED:
        terminalreporter.write_sep("!", "PostgreSQL tests were SKIPPED", yellow=True, bold=True)
        terminalreporter.write_line(_SKIPPED[0])
