"""What a retrain tells the bot: where a running job is, and how a finished one ended.

Plain values, so the bot's status line and report need nothing of processes or torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class RetrainProgress:
    """Where a running job is; `describe()` is a ready line for a status message."""

    style: str
    requested_by: str
    phase: str  # "starting", "training", "evaluating" (after training: scoring, samples, PNG)
    step: int = 0
    epoch: float = 0.0  # passes over the training names
    train_loss: float | None = None  # running mean, nats per character
    val_loss: float | None = None  # the latest validation loss
    best_val: float | None = None  # the best validation loss so far
    elapsed: float = 0.0  # seconds since the job started
    remaining: float | None = None  # estimated seconds of training left
    fraction: float = 0.0  # of the time (or step) budget used, 0..1

    @property
    def percent(self) -> int:
        return round(100 * self.fraction)

    def summary(self) -> str:
        """ "elf for tg:1, 42%" """
        return f"{self.style} for {self.requested_by}, {self.percent}%"

    def describe(self) -> str:
        """One line: phase, step, epoch, losses, time spent and left."""
        parts = [f"{self.summary()} ({self.phase})"]
        if self.step:
            parts.append(f"step {self.step:,}, epoch {self.epoch:.1f}")
        if self.train_loss is not None:
            parts.append(f"training loss {self.train_loss:.3f}")
        if self.best_val is not None:
            parts.append(f"validation loss {self.best_val:.3f}")
        parts.append(f"{_clock(self.elapsed)} elapsed")
        if self.remaining is not None and self.phase == "training":
            parts.append(f"about {_clock(self.remaining)} left")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class RetrainResult:
    """How a job ended. `outcome` is one of "adopted", "refused" (not better, not forced),
    "cancelled", "crashed" (the child died: see exit_code / signal) or "failed" (an error)."""

    style: str
    requested_by: str
    outcome: str
    adopted: bool
    reason: str  # a sentence for the admin
    forced: bool
    new_val_nll: float | None  # nats per character on the validation names
    old_val_nll: float | None  # the serving model on the SAME names; None for a new style,
    # inf when it cannot spell some of them
    validation_names: int
    steps: int  # optimiser steps taken
    seconds: float  # wall time of the whole job
    samples: tuple[str, ...]  # ten names from the new model
    png: bytes | None  # loss over time + name-length histogram
    corpus_fingerprint: str
    corpus_names: int
    corpus_path: Path | None  # the accepted corpus, kept in the models folder
    exit_code: int | None = None  # the child's exit code when it did not finish normally
    signal: str | None = None  # e.g. "SIGKILL" when a signal ended the child

    def describe(self) -> str:
        """A short summary for the admin."""
        lines = [f"{self.style}: {self.reason}"]
        if self.new_val_nll is not None:
            old = "" if self.old_val_nll is None else f" (current model {self.old_val_nll:.3f})"
            lines.append(
                f"validation loss {self.new_val_nll:.3f}{old} on {self.validation_names:,} "
                f"names; {self.steps:,} steps in {_clock(self.seconds)}"
            )
        if self.samples:
            lines.append("samples: " + ", ".join(self.samples))
        return "\n".join(lines)


def _clock(seconds: float) -> str:
    s = max(0, round(seconds))
    return f"{s // 60}:{s % 60:02d}"
