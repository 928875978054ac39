"""One CharRNN for every style: each input character joins a learned *style* vector and a learned
*label* vector (a gender, a town's country, or "none"), so the styles share what names have in
common (syllables, endings, casing) and each keeps its own voice.

A per-style letter mask pins the letters a style never uses to -inf, as each style's own
vocabulary did when every style had its own network.

Serving never runs this module's forward: `view` cuts a plain `CharRNN` out of it for one
conditioning (a style, a blend of styles, a gender or neutral), over just the letters it writes,
sharing the recurrent weights. Everything that samples and scores a `CharRNN` then works as is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from engine.nn.model import CharRNN, ModelConfig
from engine.nn.vocab import BOS, EOS, N_SPECIAL, PAD, Vocabulary

NONE = "none"  # the label of names from corpora without labels, and of label-dropped rows


@dataclass(frozen=True, slots=True)
class JointConfig:
    vocab_size: int
    n_styles: int
    n_labels: int
    n_embd: int = 64
    n_style_embd: int = 32
    n_label_embd: int = 8
    n_hidden: int = 512
    dropout: float = 0.25  # on the cell's inputs and outputs
    weight_drop: float = 0.25  # DropConnect on the hidden-to-hidden weights while training

    @property
    def n_cond(self) -> int:
        return self.n_style_embd + self.n_label_embd


class JointCharRNN(nn.Module):
    style_mask: Tensor  # (n_styles, vocab): 0 for a style's letters and the end, else -inf
    logit_mask: Tensor

    def __init__(self, config: JointConfig) -> None:
        super().__init__()
        c = self.config = config
        self.embed = nn.Embedding(c.vocab_size, c.n_embd, padding_idx=PAD)
        self.style_embed = nn.Embedding(c.n_styles, c.n_style_embd)
        self.label_embed = nn.Embedding(c.n_labels, c.n_label_embd)
        self.rnn = nn.LSTM(c.n_embd + c.n_cond, c.n_hidden, batch_first=True)
        self.drop = nn.Dropout(c.dropout)
        self.head = nn.Linear(c.n_hidden, c.vocab_size)
        mask = torch.zeros(c.vocab_size)
        mask[[PAD, BOS]] = float("-inf")
        self.register_buffer("logit_mask", mask, persistent=False)
        self.register_buffer("style_mask", torch.zeros(c.n_styles, c.vocab_size))

    def cond(self, styles: Tensor, labels: Tensor) -> Tensor:
        """The conditioning vector of each row: (b, n_style_embd + n_label_embd)."""
        return torch.cat([self.style_embed(styles), self.label_embed(labels)], dim=-1)

    def features(self, tokens: Tensor, cond: Tensor) -> Tensor:
        """The recurrent outputs (b, t, n_hidden) for tokens (b, t) under conditioning (b, d)."""
        x = self.embed(tokens)
        x = self.drop(torch.cat([x, cond[:, None, :].expand(-1, tokens.shape[1], -1)], dim=-1))
        if self.training and self.config.weight_drop > 0:
            # AWD-LSTM's weight drop, as engine.nn.model does.
            dropped = {
                name: F.dropout(w, self.config.weight_drop, training=True)
                for name, w in self.rnn.named_parameters()
                if name.startswith("weight_hh")
            }
            out, _ = torch.func.functional_call(self.rnn, dropped, (x,))
        else:
            out, _ = self.rnn(x)
        result: Tensor = out
        return result

    def forward(self, tokens: Tensor, styles: Tensor, labels: Tensor) -> Tensor:
        """Next-character logits (b, t, vocab) for tokens (b, t), styles (b,), labels (b,)."""
        out = self.drop(self.features(tokens, self.cond(styles, labels)))
        # A loaded network holds its head in float16 (engine.serving.shared.load): widened here.
        w, b = self.head.weight.to(out.dtype), self.head.bias.to(out.dtype)
        logits: Tensor = F.linear(out, w, b) + self.logit_mask + self.style_mask[styles][:, None]
        return logits

    def loss(self, tokens: Tensor, styles: Tensor, labels: Tensor, targets: Tensor) -> Tensor:
        logits = self(tokens, styles, labels)
        return F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=PAD)


def letter_mask(vocab: Vocabulary, names_per_style: Sequence[Sequence[str]]) -> Tensor:
    """(n_styles, vocab): 0 where a style's corpus uses the letter (and for the end), else -inf."""
    mask = torch.full((len(names_per_style), len(vocab)), float("-inf"))
    for s, names in enumerate(names_per_style):
        mask[s, vocab.encode("".join(sorted({c for n in names for c in n})))] = 0.0
        mask[s, EOS] = 0.0
    return mask


def view(
    net: JointCharRNN,
    vocab: Vocabulary,
    chars: str,
    conds: Tensor,
    head: tuple[Tensor, Tensor] | None = None,
    *,
    own_rows: PackedRows | None = None,
) -> CharRNN:
    """A plain CharRNN over `chars` (a subset of `vocab`) whose labels are the conditioning rows
    `conds` (k, n_cond). It shares the joint network's recurrent weights (no copy); its
    embedding and head are the rows of its letters. `head` (weight, bias) over the whole joint
    vocabulary replaces the shared head (a blend of heads, a voice's). `own_rows` is the view's
    head already (its rows: the special tokens, then `chars`; a style's own head as the shared
    model holds it, packed), used as it is, not copied. Rows copied are held in float16 where
    that is exact (the weights as the shared file keeps them), and widened per call (CharRNN):
    half the memory, the same results."""
    c = net.config
    ids = torch.tensor([PAD, BOS, EOS, *vocab.encode(chars)])
    config = ModelConfig(
        vocab_size=len(chars) + N_SPECIAL,
        n_labels=conds.shape[0],
        cell="lstm",
        n_embd=c.n_embd,
        n_label_embd=c.n_cond,
        n_hidden=c.n_hidden,
        dropout=0.0,
        weight_drop=0.0,
    )
    out = CharRNN(config, rnn=net.rnn)  # the shared recurrent layer, not a copy
    if own_rows is not None:
        if head is not None:
            raise ValueError("a view takes a head or its own rows, not both")
        if own_rows.q.shape[0] != len(ids):
            raise ValueError("own head rows do not fit the view's letters")
        # The shared model's very module: a view's head is never changed in place.
        out.head = own_rows  # type: ignore[assignment]
    else:
        weight, bias = head if head is not None else (net.head.weight, net.head.bias)
        with torch.no_grad():
            out.head.weight = nn.Parameter(_narrow(weight.detach()[ids]), requires_grad=False)
            out.head.bias = nn.Parameter(_narrow(bias.detach()[ids]), requires_grad=False)
    with torch.no_grad():
        out.embed.weight = nn.Parameter(
            _narrow(net.embed.weight.detach()[ids]), requires_grad=False
        )
        out.label_embed.weight = nn.Parameter(conds.detach().clone(), requires_grad=False)
    return out.eval()


def _narrow(rows: Tensor) -> Tensor:
    """`rows` (a copy) in float16 where that holds them exactly, else as they are."""
    half = rows.half()
    return half if torch.equal(half.float(), rows) else rows


# A style's own head is kept in the shipped file as int8 rows, each with a power-of-two scale
# (its exponent, one byte): half the bytes of float16, so every head that helps fits. The scale
# is a power of two so that the rounding is its own fixed point: a head rounded here, held in
# float16 (exactly: q * 2**e with |q| <= 127 is a float16 for -24 <= e <= 9; 127 * 2**9 =
# 65,024 is under float16's largest, 65,504) and packed again gives the same bytes, and what
# phase 2 measures is what a process loading the file serves. Larger weights saturate there
# (a head's are under 10).
_Q = 127
_MIN_EXP, _MAX_EXP = -24, 9


def pack_rows(w: Tensor) -> tuple[Tensor, Tensor]:
    """Rows (r, n) as int8 (r, n) and a power-of-two exponent per row (r,), int8."""
    w = w.detach().float()
    if not bool(torch.isfinite(w).all()):
        raise ValueError("cannot pack rows holding inf or nan")
    top = w.abs().amax(dim=1).clamp_min(2.0**_MIN_EXP * _Q)
    exp = torch.ceil(torch.log2(top / _Q)).clamp(_MIN_EXP, _MAX_EXP)
    q = torch.round(w * torch.exp2(-exp)[:, None]).clamp(-_Q, _Q)
    return q.to(torch.int8), exp.to(torch.int8)


def unpack_rows(q: Tensor, exp: Tensor) -> Tensor:
    """The float16 rows `pack_rows` packed (exactly what they stand for)."""
    return (q.float() * torch.exp2(exp.float())[:, None]).half()


def packed_bytes(rows: int, width: int) -> int:
    """What `rows` rows of `width` weights take packed: int8 weights, an int8 exponent and a
    float16 bias each."""
    return rows * (width + 1 + 2)


def round_rows(w: Tensor) -> Tensor:
    """`w` as the shipped file keeps a head's rows (float32 values, packed and unpacked)."""
    return unpack_rows(*pack_rows(w)).float()


class PackedRows(nn.Module):
    """A linear layer held as `pack_rows` packs its weight (int8 rows, a power-of-two scale
    each), with its bias in float16: a style's own head as the shared model keeps it, in half
    the memory of float16. Reading `weight` widens it (to float16, exactly). Its state_dict is
    a Linear's (weight, bias), so a view holding it saves as any CharRNN, and the checkpoint
    loads into a fresh one. The shared model hands the same module to every view of its style:
    never convert a view's network in place (`.float()`, `.to()`); copy it first."""

    q: Tensor
    exp: Tensor
    bias: Tensor

    def __init__(self, q: Tensor, exp: Tensor, bias: Tensor) -> None:
        super().__init__()
        if q.dtype != torch.int8 or q.dim() != 2 or exp.shape != q.shape[:1]:
            raise ValueError("packed rows are int8 rows with an exponent each")
        if bias.shape != q.shape[:1]:
            raise ValueError("packed rows need a bias per row")
        self.register_buffer("q", q)
        self.register_buffer("exp", exp.to(torch.int8))
        self.register_buffer("bias", bias.half())
        self.register_state_dict_post_hook(_as_linear)  # type: ignore[no-untyped-call]

    @classmethod
    def of(cls, weight: Tensor, bias: Tensor) -> PackedRows:
        """`weight` (r, n) packed (rounded: `round_rows`) and `bias` (r,) in float16."""
        return cls(*pack_rows(weight), bias.detach())

    @property
    def weight(self) -> Tensor:
        return unpack_rows(self.q, self.exp)

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight.to(x.dtype), self.bias.to(x.dtype))


def _as_linear(module: nn.Module, state: dict[str, Any], prefix: str, _meta: Any) -> None:
    assert isinstance(module, PackedRows)
    del state[prefix + "q"], state[prefix + "exp"]
    state[prefix + "weight"] = module.weight
