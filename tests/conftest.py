"""Shared fixtures: a tiny model trained in seconds on a corpus that ships with a package."""

from __future__ import annotations

import os

# python-telegram-bot: opt in to timedelta retry_after now, as its deprecation warning asks.
os.environ.setdefault("PTB_TIMEDELTA", "1")

from collections.abc import Iterator

import pytest
import torch

from engine.corpora import corpus
from engine.nn.model import ModelConfig
from engine.nn.train import TrainConfig, train
from engine.serving import checkpoint
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
