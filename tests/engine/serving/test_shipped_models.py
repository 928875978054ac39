"""The styles that ship inside the package: present, small, loadable, and good at their job."""

from __future__ import annotations

import pytest

from engine.corpora import corpus
from engine.corpora.recipes import FAMILY, STYLES
from engine.serving import checkpoint
from engine.serving.registry import PACKAGED_MODELS
from engine.serving.sampling import GenerationRequest, generate

MAX_BYTES = 4 * 1024 * 1024
MAX_TOTAL_BYTES = 30 * 1024 * 1024


@pytest.mark.parametrize("style", sorted(STYLES))
def test_shipped_style_loads_samples_and_is_small(style: str) -> None:
    path = PACKAGED_MODELS / f"{style}.pt"
    assert path.stat().st_size < MAX_BYTES
    model = checkpoint.load(path)
    # Trained on the corpus it names, by the recorded command (same fingerprint).
    assert model.corpus_fingerprint == corpus.load(STYLES[style].corpus).fingerprint
    assert model.metrics["stopped"] in ("max_steps", "early_stop")
    assert model.net.config.n_hidden == STYLES[style].hidden
    assert model.description == corpus.BUILTIN[STYLES[style].corpus][0]
    names = generate(model, GenerationRequest(style=style, count=10, seed=1)).names
    assert len(names) == 10


def test_the_shipped_models_together_stay_small() -> None:
    assert sum(p.stat().st_size for p in PACKAGED_MODELS.glob("*.pt")) < MAX_TOTAL_BYTES


@pytest.mark.parametrize("style", sorted(STYLES))
def test_no_shipped_style_writes_a_casing_its_corpus_never_has(style: str) -> None:
    model = checkpoint.load(PACKAGED_MODELS / f"{style}.pt")
    request = GenerationRequest(style=style, count=200, temperature=3.0, seed=1, filter=False)
    names = generate(model, request).names
    assert len(names) > 100
    assert [n for n in names if model.casing.broken(n)] == []


@pytest.mark.parametrize("style", sorted(FAMILY))
def test_full_names_for_every_style_with_family_names(style: str) -> None:
    model = checkpoint.load(PACKAGED_MODELS / f"{style}.pt")
    family = checkpoint.load(PACKAGED_MODELS / f"{FAMILY[style]}.pt")
    res = generate(model, GenerationRequest(style=style, count=5, full=True, seed=1), family)
    assert len(res.names) == 5
    assert all(" " in n and n.rsplit(" ", 1)[1][:1].isupper() for n in res.names)
    assert family.labels == () or family.labels == model.labels


def test_english_model_is_better_than_letter_frequencies() -> None:
    model = checkpoint.load(PACKAGED_MODELS / "english.pt")
    assert model.metrics["val_nll"] < 2.0
