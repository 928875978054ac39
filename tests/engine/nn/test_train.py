from __future__ import annotations

import math

import pytest
import torch

from engine.corpora import corpus
from engine.nn.model import ModelConfig
from engine.nn.train import TrainConfig, TrainProgress, encode, mean_loss, split, train
from tests.conftest import TINY, TINY_TRAIN


def _small_corpus() -> corpus.Corpus:
    return corpus.load("elf")


def test_training_learns_more_than_letter_frequencies() -> None:
    c = _small_corpus()
    result = train(c, TINY_TRAIN, TINY)
    # A model that only knew how often each character occurs would pay ln(vocab) or so per token.
    assert result.val_nll < math.log(len(result.vocab)) - 0.8
    assert result.steps > 0


def test_same_seed_and_steps_give_the_same_weights() -> None:
    config = TrainConfig(max_steps=40, eval_every=20, seed=7)
    a = train(_small_corpus(), config, TINY)
    b = train(_small_corpus(), config, TINY)
    for (ka, va), (kb, vb) in zip(
        a.model.state_dict().items(), b.model.state_dict().items(), strict=True
    ):
        assert ka == kb
        torch.testing.assert_close(va, vb)


def test_early_stopping_ends_a_run_that_stops_improving() -> None:
    # lr 0 can never improve after the first evaluation.
    config = TrainConfig(max_steps=10_000, eval_every=5, patience=2, lr=0.0, warmup_steps=1)
    result = train(_small_corpus(), config, TINY)
    assert result.stopped == "early_stop"
    assert len(result.history) == 3


def test_time_budget_stops_the_run() -> None:
    result = train(_small_corpus(), TrainConfig(seconds=0.5, eval_every=10_000), TINY)
    assert result.stopped == "budget"


def test_progress_is_reported_with_validation_on_eval_steps() -> None:
    seen: list[TrainProgress] = []
    train(_small_corpus(), TrainConfig(max_steps=20, eval_every=10), TINY, seen.append)
    assert [p.step for p in seen] == list(range(1, 21))
    assert [p.step for p in seen if p.val_loss is not None] == [10, 20]
    assert seen[-1].fraction == 1.0


def test_returned_model_is_the_best_on_validation() -> None:
    c = _small_corpus()
    config = TrainConfig(max_steps=60, eval_every=20)
    result = train(c, config, TINY)
    # Score the weights we got back on the same validation names, independently of train().
    _, va_idx = split(c, config.val_fraction, config.seed)
    val = encode(result.vocab, [c.names[i] for i in va_idx], [c.label_ids[i] for i in va_idx])
    measured = mean_loss(result.model.eval(), val)
    best = min(v for _, v in result.history)
    assert measured == pytest.approx(best, abs=1e-4)
    assert best < max(v for _, v in result.history)  # there was a worse checkpoint to skip


def test_a_labelled_corpus_gets_a_label_embedding_per_label() -> None:
    result = train(_small_corpus(), TrainConfig(max_steps=1), TINY)
    assert result.model.config.n_labels == 2


def test_mean_loss_is_per_predicted_token() -> None:
    # A fresh model's prediction is near uniform: close to ln(vocab) nats per token.
    c = _small_corpus()
    result = train(c, TrainConfig(max_steps=1, lr=0.0), ModelConfig(vocab_size=0, dropout=0.0))
    data = encode(result.vocab, c.names[:50], c.label_ids[:50])
    assert abs(mean_loss(result.model, data) - math.log(len(result.vocab) - 2)) < 0.3


def test_a_cyrillic_corpus_trains_and_samples() -> None:
    from faker.providers.person.ru_RU import Provider

    from engine.serving import checkpoint
    from engine.serving.sampling import GenerationRequest, generate

    pairs = [(n, "female") for n in Provider.first_names_female]
    pairs += [(n, "male") for n in Provider.first_names_male]
    c = corpus.clean("ru", pairs)
    result = train(c, TINY_TRAIN, TINY)
    assert result.val_nll < math.log(len(result.vocab)) - 0.8
    model = checkpoint.build(result.model, result.vocab, c, {})
    names = generate(model, GenerationRequest(prefix="ал", count=5, seed=0)).names
    assert len(names) == 5
    assert all(n.startswith("Ал") for n in names)
    assert all(ch.isalpha() or ch in "- " for n in names for ch in n)
