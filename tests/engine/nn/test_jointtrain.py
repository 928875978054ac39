from __future__ import annotations

import random
from pathlib import Path

import pytest
import torch

from engine.corpora.corpus import Corpus, clean
from engine.make_models import refit_heads
from engine.nn.joint import NONE, JointCharRNN, JointConfig, round_rows
from engine.nn.jointtrain import (
    JointTrainConfig,
    StyleSet,
    choose_heads,
    fit_heads,
    param_groups,
    style_rows,
    train_joint,
)
from engine.serving import shared


@pytest.mark.parametrize("decay_embeddings", [True, False])
def test_the_embeddings_are_decayed_only_when_asked(decay_embeddings: bool) -> None:
    net = JointCharRNN(JointConfig(vocab_size=12, n_styles=3, n_labels=2, n_hidden=16))
    groups = param_groups(net, JointTrainConfig(decay_embeddings=decay_embeddings))
    decayed = {id(p) for p in groups[0]["params"]}
    embeddings = [net.embed.weight, net.style_embed.weight, net.label_embed.weight]
    assert all((id(p) in decayed) == decay_embeddings for p in embeddings)
    assert id(net.rnn.weight_hh_l0) in decayed and id(net.head.weight) in decayed
    assert id(net.head.bias) in {id(p) for p in groups[1]["params"]}
    assert sum(len(g["params"]) for g in groups) == len(list(net.parameters()))


GAINS = {"a": 0.20, "b": 0.05, "c": 0.03, "d": 0.009, "e": 0.04}
COST = {"a": 600, "b": 300, "c": 100, "d": 10, "e": 500}


@pytest.mark.parametrize(
    ("min_gain", "budget", "kept"),
    [
        # a (600) and b (300) fit in 1,000; e (500) would not, c (100) still does.
        (0.01, 1_000, {"a", "b", "c"}),
        (0.01, 10_000, {"a", "b", "c", "e"}),  # d gains less than the floor
        (0.1, 10_000, {"a"}),
        (0.01, 0, set()),
    ],
)
def test_heads_are_kept_by_gain_largest_first_within_the_byte_budget(
    min_gain: float, budget: int, kept: set[str]
) -> None:
    assert choose_heads(GAINS, COST, min_gain, budget) == kept


def test_a_head_at_the_floor_is_kept_whatever_its_name_sorts_after() -> None:
    gains = {"a": 0.01 - 1e-12, "b": 0.01 + 1e-12}
    assert choose_heads(gains, {"a": 1, "b": 1}, 0.01, 10) == {"b"}


@pytest.mark.parametrize(
    ("meta", "styles", "said"),
    [
        ({"note": "test"}, ["english", "elf", "italian-surnames"], "no training record"),
        (
            {"config": {}, "best_step": 1, "seconds": 1.0, "history": "[]"},
            ["english"],
            "other styles, names or labels",
        ),
    ],
)
def test_phase2_from_refuses_a_file_it_cannot_redo(
    tiny_shared: shared.SharedModel, tmp_path: Path, meta: dict[str, object], styles: list[str],
    said: str,
) -> None:  # fmt: skip
    source = shared.save(tiny_shared, tmp_path / "m.pt", meta)
    with pytest.raises(SystemExit, match=said):
        refit_heads(source, tmp_path / "out.pt", JointTrainConfig(), styles)
    assert not (tmp_path / "out.pt").exists()


def _corpora() -> dict[str, Corpus]:
    rng = random.Random(7)
    corpora = {}
    for k, syllables in enumerate((["ka", "lo", "mir", "tan"], ["zu", "vek", "or", "ith"])):
        names = {"".join(rng.choices(syllables, k=rng.randint(2, 3))).title() for _ in range(300)}
        corpora[f"style{k}"] = clean(f"style{k}", ((n, "") for n in sorted(names)))
    return corpora


def test_phase_2_run_again_on_the_saved_network_gives_the_whole_runs_heads(tmp_path: Path) -> None:
    """What engine.make_models --phase2-from relies on: phase 2 starts from the network as
    the file keeps it and from its own random stream."""
    corpora = _corpora()
    sets = [
        StyleSet(s, c.names, [NONE] * len(c), range(6, len(c)), range(6))
        for s, c in corpora.items()
    ]
    config = JointTrainConfig(
        steps=40, batch_size=32, warmup_steps=5, eval_every=20, head_epochs=3, head_min_gain=-1.0
    )
    model_config = JointConfig(
        vocab_size=0, n_styles=0, n_labels=0, n_embd=8, n_style_embd=4, n_label_embd=2,
        n_hidden=16, dropout=0.0, weight_drop=0.0,
    )  # fmt: skip
    result = train_joint(sets, config, model_config)
    assert set(result.heads) == {"style0", "style1"}
    for w, b in result.heads.values():  # scored as the file will keep them: packed
        assert torch.equal(round_rows(w), w) and torch.equal(b.half().float(), b)
    path = shared.save(shared.build(result, corpora, {}), tmp_path / "m.pt", {})
    net = shared.load(path).net
    torch.manual_seed(99)  # whatever the process drew before
    parts, vals = style_rows(sets, result.vocab, result.labels)
    heads, val, shared_val = fit_heads(net, result.styles, parts, vals, config)
    assert (val, shared_val) == (result.val, result.shared_val)
    for style, (w, b) in result.heads.items():
        assert torch.equal(heads[style][0], w) and torch.equal(heads[style][1], b)
