"""The CharRNN: embedding -> recurrent cell -> linear head, optionally conditioned on a label.

Only torch lives here. Training and sampling are in their own modules, like nanoGPT's split.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from engine.nn.vocab import BOS, PAD

Cell = Literal["gru", "lstm", "rnn"]
# An LSTM's state is a pair (h, c); a GRU's or plain RNN's is h alone.
State = Tensor | tuple[Tensor, Tensor]


@dataclass(frozen=True, slots=True)
class ModelConfig:
    vocab_size: int
    n_labels: int = 1
    cell: Cell = "lstm"  # measured best on the 7,944 names at a 150 s budget (README)
    n_embd: int = 64
    n_label_embd: int = 16
    n_hidden: int = 320
    n_layers: int = 1
    dropout: float = 0.4  # on the cell's inputs and outputs
    weight_drop: float = 0.25  # DropConnect on the hidden-to-hidden weights while training


class CharRNN(nn.Module):
    logit_mask: Tensor

    def __init__(self, config: ModelConfig, rnn: nn.LSTM | None = None) -> None:
        """`rnn`: a recurrent layer of the config's shape to use instead of a new one (a
        shared network's, which views of it share)."""
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.n_embd, padding_idx=PAD)
        # The label (say, gender) joins every input character, so one model serves all labels.
        self.label_embed = nn.Embedding(config.n_labels, config.n_label_embd)
        n_in = config.n_embd + config.n_label_embd
        rnn_dropout = config.dropout if config.n_layers > 1 else 0.0
        rnn_cls = {"gru": nn.GRU, "lstm": nn.LSTM, "rnn": nn.RNN}[config.cell]
        # Any, as before: torch types an RNN's weights (weight_ih_l0, ...) as Tensor | Module.
        self.rnn: Any = rnn
        if rnn is None:
            self.rnn = rnn_cls(
                n_in, config.n_hidden, num_layers=config.n_layers, batch_first=True,
                dropout=rnn_dropout,
            )  # fmt: skip
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.n_hidden, config.vocab_size)
        # pad and start are never a next character: their logits are pinned to -inf.
        mask = torch.zeros(config.vocab_size)
        mask[[PAD, BOS]] = float("-inf")
        self.register_buffer("logit_mask", mask, persistent=False)

    def _inputs(self, tokens: Tensor, labels: Tensor) -> Tensor:
        lab = self.label_embed(labels)[:, None, :].expand(-1, tokens.shape[1], -1)  # (b, t, n_lab)
        # A view of a shared model may hold its letters in float16 (engine.nn.joint.view).
        x = self.embed(tokens).to(lab.dtype)  # (b, t, n_embd)
        out: Tensor = self.drop(torch.cat([x, lab], dim=-1))  # (b, t, n_in)
        return out

    def forward(self, tokens: Tensor, labels: Tensor, state: State | None = None) -> Tensor:
        """Next-character logits for every position: tokens (b, t), labels (b,) -> (b, t, vocab)."""
        x = self._inputs(tokens, labels)
        if self.training and self.config.weight_drop > 0:
            # AWD-LSTM's weight drop: one mask on the recurrent weights per batch regularises
            # the recurrence itself, which plain dropout between steps cannot reach.
            dropped = {
                name: F.dropout(w, self.config.weight_drop, training=True)
                for name, w in self.rnn.named_parameters()
                if name.startswith("weight_hh")
            }
            out, _ = torch.func.functional_call(self.rnn, dropped, (x, state))
        else:
            out, _ = self.rnn(x, state)  # (b, t, n_hidden)
        return self.logits(self.drop(out))

    def step(self, tokens: Tensor, labels: Tensor, state: State | None) -> tuple[Tensor, State]:
        """One character for a batch: tokens (b,), labels (b,) -> logits (b, vocab), new state."""
        out, state = self.rnn(self._inputs(tokens[:, None], labels), state)  # (b, 1, n_hidden)
        return self.logits(out[:, 0]), state

    def logits(self, out: Tensor) -> Tensor:
        """The head over recurrent outputs, special tokens masked. The head may be held in
        float16 (a view of a shared model, engine.nn.joint.view): it is widened per call,
        exactly."""
        w, b = self.head.weight, self.head.bias
        logits: Tensor = F.linear(out, w.to(out.dtype), b.to(out.dtype)) + self.logit_mask
        return logits

    def loss(self, tokens: Tensor, labels: Tensor, targets: Tensor) -> Tensor:
        """Mean cross-entropy (nats) over the non-pad targets."""
        logits = self(tokens, labels)
        return F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=PAD)


def select_state(state: State, keep: Tensor) -> State:
    """The rows `keep` (indices) of a recurrent state (the batch is dim 1)."""
    if isinstance(state, tuple):
        return state[0].index_select(1, keep), state[1].index_select(1, keep)
    return state.index_select(1, keep)


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
