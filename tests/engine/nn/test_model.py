from __future__ import annotations

import pytest
import torch

from engine.nn.model import CharRNN, ModelConfig, select_state
from engine.nn.vocab import BOS, PAD


@pytest.mark.parametrize("cell", ["gru", "lstm", "rnn"])
def test_step_by_step_equals_the_whole_sequence(cell: str) -> None:
    """Sampling uses `step`, training uses `forward`: they must be the same function."""
    torch.manual_seed(0)
    net = CharRNN(ModelConfig(vocab_size=12, n_labels=2, cell=cell, n_hidden=16, n_layers=2)).eval()  # type: ignore[arg-type]
    tokens = torch.randint(3, 12, (4, 6))
    labels = torch.tensor([0, 1, 1, 0])
    full = net(tokens, labels)  # (4, 6, 12)
    state = None
    for t in range(tokens.shape[1]):
        logits, state = net.step(tokens[:, t], labels, state)
        torch.testing.assert_close(logits, full[:, t])


def test_pad_and_start_are_never_predicted() -> None:
    net = CharRNN(ModelConfig(vocab_size=8)).eval()
    logits = net(torch.full((2, 3), BOS), torch.zeros(2, dtype=torch.long))
    assert torch.isinf(logits[..., [PAD, BOS]]).all()


def test_select_state_keeps_rows_of_both_lstm_tensors() -> None:
    h, c = torch.randn(1, 5, 3), torch.randn(1, 5, 3)
    keep = torch.tensor([0, 2])
    kh, kc = select_state((h, c), keep)
    assert kh.shape == kc.shape == (1, 2, 3)
    assert torch.equal(kh[0, 1], h[0, 2]) and torch.equal(kc[0, 0], c[0, 0])
