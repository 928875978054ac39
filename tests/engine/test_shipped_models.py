"""The styles that ship inside the package: present, small, loadable, and good at their job."""

from __future__ import annotations

import pytest

from engine import checkpoint, corpus
from engine.facade import PACKAGED_MODELS
from engine.sampling import GenerationRequest, generate
from engine.styles import STYLES

MAX_BYTES = 4 * 1024 * 1024


@pytest.mark.parametrize("style", sorted(STYLES))
def test_shipped_style_loads_samples_and_is_small(style: str) -> None:
    path = PACKAGED_MODELS / f"{style}.pt"
    assert path.stat().st_size < MAX_BYTES
    model = checkpoint.load(path)
    # Trained on the corpus it names, by the recorded command (same fingerprint).
    assert model.corpus_fingerprint == corpus.load(STYLES[style].corpus).fingerprint
    assert model.metrics["stopped"] in ("max_steps", "early_stop")
    names = generate(model, GenerationRequest(style=style, count=10, seed=1)).names
    assert len(names) == 10


def test_english_model_is_better_than_letter_frequencies() -> None:
    model = checkpoint.load(PACKAGED_MODELS / "english.pt")
    assert model.metrics["val_nll"] < 2.0
