"""What a retrain reports: the status line of a running job and the summary of an ended one."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.retraining.outcome import RetrainProgress, RetrainResult


@pytest.mark.parametrize(
    ("progress", "line"),
    [
        (
            RetrainProgress("elf", "tg:1", "starting", elapsed=3.2),
            "elf for tg:1, 0% (starting), 0:03 elapsed",
        ),
        (
            RetrainProgress(
                "elf", "tg:1", "training", step=1200, epoch=2.5, train_loss=1.91234,
                best_val=2.05, elapsed=75, remaining=45, fraction=0.625,
            ),
            "elf for tg:1, 62% (training), step 1,200, epoch 2.5, training loss 1.912, "
            "validation loss 2.050, 1:15 elapsed, about 0:45 left",
        ),
        (  # time left is only for the training phase
            RetrainProgress("elf", "dc:2", "evaluating", remaining=0.0, fraction=1.0, elapsed=61),
            "elf for dc:2, 100% (evaluating), 1:01 elapsed",
        ),
    ],
)  # fmt: skip
def test_progress_describes_itself_in_one_line(progress: RetrainProgress, line: str) -> None:
    assert progress.describe() == line


def _result(**kw: object) -> RetrainResult:
    base: dict[str, object] = {
        "style": "elf", "requested_by": "tg:1", "outcome": "adopted", "adopted": True,
        "reason": "adopted: validation loss 1.900 beats the current 2.000", "forced": False,
        "new_val_nll": 1.9, "old_val_nll": 2.0, "validation_names": 1234, "steps": 4000,
        "seconds": 130.4, "samples": ("Elda", "Ithil"), "png": None,
        "corpus_fingerprint": "abc", "corpus_names": 5000, "corpus_path": Path("c.txt"),
    }  # fmt: skip
    return RetrainResult(**{**base, **kw})  # type: ignore[arg-type]


def test_a_result_says_what_happened_and_how_well() -> None:
    assert _result().describe() == (
        "elf: adopted: validation loss 1.900 beats the current 2.000\n"
        "validation loss 1.900 (current model 2.000) on 1,234 names; 4,000 steps in 2:10\n"
        "samples: Elda, Ithil"
    )


def test_a_result_without_a_trained_model_is_its_reason_alone() -> None:
    crashed = _result(
        outcome="crashed", adopted=False, reason="the training process was killed by SIGKILL",
        new_val_nll=None, old_val_nll=None, samples=(),
    )  # fmt: skip
    assert crashed.describe() == "elf: the training process was killed by SIGKILL"
