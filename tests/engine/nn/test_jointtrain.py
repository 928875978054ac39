from __future__ import annotations

import pytest

from engine.nn.joint import JointCharRNN, JointConfig
from engine.nn.jointtrain import JointTrainConfig, param_groups


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
