"""Batched sampling with per-request constraints.

Every row of a batch is one candidate name; all rows advance together, one tensor op per
character. A row's first characters are forced to its request's prefix, its label and
temperature are its own, and a row leaves the batch the moment it ends, so the batch only ever
computes live names. Requests from many users can share one batch (`generate_many`).

Casing follows the corpus by construction (a per-row logit mask, engine.nn.casing). Constraints
that decoding cannot enforce (ends with, contains, new names only, no duplicates, the word
filter) are met by drawing more candidates in a few bounded rounds; whatever was found is
returned, with a note when it is fewer than asked.

Sampling never loads a model: the caller passes the model of the style, and for full names the
model of its family names, both taken from the registry (engine.serving.registry).
"""

from __future__ import annotations

import logging
import math
import random
import threading
import warnings
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from engine.corpora import families
from engine.corpora.corpus import MAX_NAME_LEN
from engine.corpora.recipes import family_style, has_family_names, no_family_message
from engine.corpora.wordfilter import WordFilter
from engine.errors import RequestError
from engine.limits import (
    DEFAULT_COUNT,
    DEFAULT_STYLE,
    DEFAULT_TEMPERATURE,
    MAX_NAMES_PER_REQUEST,
    TEMPERATURE_MAX,
    TEMPERATURE_MIN,
)
from engine.nn.casing import CaseMask
from engine.nn.model import CharRNN, State, select_state
from engine.nn.vocab import BOS, EOS, PAD
from engine.serving import heap
from engine.serving.scoring import name_logliks
from engine.serving.trained import NameModel

log = logging.getLogger(__name__)

MAX_ROUNDS = 6
# Clean sampling (GenerationRequest.clean): a letter is drawn only if, before the temperature, it
# is at least P_MIN times as likely as the likeliest letter; a finished name is kept only if its
# log-likelihood per letter reaches the FLOOR_QUANTILE of its style's corpus names.
P_MIN = 0.02
FLOOR_QUANTILE = 0.05
# Cutting the tail removes the variety a temperature buys along with the junk, so clean sampling
# runs this much hotter inside what is left: at t=1.2 as many new, distinct names as the plain
# sampler gives, about half as many broken strings (benchmarks/names.py).
CLEAN_HEAT = 1.2
NEUTRAL_GAP = 1.0  # nats: a neutral name is about as likely read as female as read as male
LIKE_POOL = 12  # candidates drawn per name asked for, for names like given ones
ROWS_PER_NAME = 60  # effort bound: at most this many candidates per name asked for (+ 500)


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    style: str = DEFAULT_STYLE
    prefix: str = ""
    temperature: float = DEFAULT_TEMPERATURE
    count: int = DEFAULT_COUNT
    label: str | None = None  # e.g. "female"; any unique start ("f") works; None = any
    min_len: int | None = None
    max_len: int | None = None
    ends_with: str = ""
    contains: str = ""
    new_only: bool = False  # exclude names of the training corpus
    exclude: frozenset[str] = frozenset()  # names not to give again (already shown)
    seed: int | None = None  # same seed, same request, same model -> same names
    filter: bool = True  # withhold obscenities and slurs (engine.corpora.wordfilter); False relaxes
    # Given name + family name ("Anna Pavlova"), for styles with family names
    # (engine.corpora.recipes.FAMILY).
    # Every other option applies to the given name.
    full: bool = False
    # Names to resemble (engine: "like=Legolas"): new names that share their sound and shape,
    # never the names themselves.
    like: tuple[str, ...] = ()
    # Keep implausible strings out: letters far less likely than the best one are never drawn
    # (min-p) and a name the model itself finds less likely than nearly every corpus name is
    # drawn again (a plausibility floor). False samples the raw distribution (benchmarks).
    clean: bool = True


@dataclass(frozen=True, slots=True)
class GenerationResult:
    request: GenerationRequest
    names: tuple[str, ...]
    note: str | None = None  # set when fewer names than asked could be found
    candidates: int = 0  # rows sampled to find them
    filtered: int = 0  # candidates withheld by the word filter (drawn again, never shown)
    # The names that are in the training list (for a full name: both of its parts), so a reply
    # can say which names are real and which invented.
    real: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class _Plan:
    """A validated request, in the model's terms."""

    request: GenerationRequest
    prefix: str
    prefix_ids: tuple[int, ...]
    label: int | None
    min_len: int
    max_len: int
    ends_with: str  # casefolded
    contains: str  # casefolded
    floor: float | None = None  # clean sampling: the least log-likelihood per letter kept
    neutral: bool = False  # keep only names about as likely female as male
    like: tuple[str, ...] = ()  # as written in the style
    like_folded: frozenset[str] = frozenset()

    def accepts(self, name: str, model: NameModel) -> bool:
        folded = name.casefold()
        return (
            len(name) >= self.min_len  # a row may end short where its casing allows only the end
            and folded.endswith(self.ends_with)
            and self.contains in folded
            and not (self.request.new_only and name in model.corpus_names)
            and name not in self.request.exclude
            and folded not in self.like_folded
        )

    @property
    def wanted(self) -> int:
        """Candidates to find: the names asked for, or a pool to choose the likest from."""
        return self.request.count * LIKE_POOL if self.like else self.request.count

    def prior_acceptance(self) -> float:
        """A guess at the share of candidates kept, before any is drawn."""
        rate = 0.95  # duplicates, and names that ran past the longest length
        if self.request.new_only:
            rate *= 0.6  # about a third of samples at temperature 1 are real names
        if self.ends_with or self.contains:
            rate *= 0.1
        if self.neutral:
            rate *= 0.3  # a third to a tenth of names pass as neutral, by style
        return rate

    def describe(self) -> str:
        r, parts = self.request, []
        if self.prefix:
            parts.append(f"start with {self.prefix!r}")
        if r.ends_with:
            parts.append(f"end with {r.ends_with!r}")
        if r.contains:
            parts.append(f"contain {r.contains!r}")
        if r.min_len is not None or r.max_len is not None:
            parts.append(f"are {self.min_len}–{self.max_len} letters long")
        if r.new_only:
            parts.append("are not in the training list")
        return " and ".join(parts) or "are different from each other"


def plan(model: NameModel, r: GenerationRequest, family: NameModel | None = None) -> _Plan:
    """Validate a request against a model (and, for full names, the model of its family names);
    raises RequestError with a message for the user."""
    if not isinstance(r.temperature, int | float) or not (
        math.isfinite(r.temperature) and TEMPERATURE_MIN <= r.temperature <= TEMPERATURE_MAX
    ):
        raise RequestError(
            f"temperature must be a number between {TEMPERATURE_MIN:g} and {TEMPERATURE_MAX:g}, "
            f"got {r.temperature!r}"
        )
    if not 1 <= r.count <= MAX_NAMES_PER_REQUEST:
        raise RequestError(f"count must be between 1 and {MAX_NAMES_PER_REQUEST}, got {r.count}")
    prefix = model.as_written(r.prefix.strip())
    model.check_spelling(prefix, "the prefix")
    for text, what in ((r.ends_with, "'ends'"), (r.contains, "'contains'")):
        model.check_spelling(text, what, any_case=True)
    label = model.resolve_label(r.label)
    if r.full and not has_family_names(r.style):
        raise RequestError(no_family_message(r.style))
    if r.full and r.style not in families.MADE:
        family_of = family_style(r.style)
        if family is None:
            raise RequestError(
                f"no full names for the {r.style} style now: its family names ({family_of}) "
                "are not loaded"
            )
    limit = min(MAX_NAME_LEN, model.max_len + 4)
    lo = 1 if r.min_len is None else r.min_len
    hi = limit if r.max_len is None else r.max_len
    if lo < 1 or hi < 1:
        raise RequestError("name lengths must be at least 1")
    if lo > limit:
        raise RequestError(f"this style writes names of up to {limit} letters; {lo} is too long")
    if lo > hi:
        raise RequestError(f"the shortest length ({lo}) is more than the longest ({hi})")
    hi = min(hi, limit)
    for text, what in ((prefix, "prefix"), (r.ends_with, "ending"), (r.contains, "'contains'")):
        if len(text) > hi:
            raise RequestError(
                f"the {what} {text!r} is longer than the longest name allowed ({hi})"
            )
    # In the style's case: a head forced as typed ("LEgolas") would slip past the casing mask.
    like = tuple(model.as_written(" ".join(n.split()).casefold()) for n in r.like)
    for name in like:
        if not name or len(name) > MAX_NAME_LEN:
            raise RequestError(f"a name to resemble has 1 to {MAX_NAME_LEN} letters")
        model.check_spelling(name, f"{name!r} (the name to resemble)", any_case=True)
    if like and r.full:
        raise RequestError("names like a given one are given names only: drop 'full'")
    q = model.score_quantiles
    return _Plan(
        request=r,
        prefix=prefix,
        prefix_ids=tuple(model.vocab.encode(prefix)),
        label=label,
        min_len=max(lo, len(prefix)),
        max_len=hi,
        ends_with=r.ends_with.strip().casefold(),
        contains=r.contains.strip().casefold(),
        floor=q[round(FLOOR_QUANTILE * (len(q) - 1))] if r.clean and q else None,
        neutral=label is not None and label == model.neutral,
        like=like,
        like_folded=frozenset(n.casefold() for n in like),
    )


class _Linear:
    """`x @ weight.T + bias` for inference, of the weight and bias `layer` holds under `name`
    ("hh_l0": weight_hh_l0 and bias_hh_l0; "" for a Linear's own). Exact: in float32, reading
    the transposed weight as it lies. Else in int8 (fbgemm's dynamically quantised matmul, one
    weight scale per output row, activations scaled per call): the matmul about three times
    faster for the shared model's 512-unit cell at a request's 10 to 20 rows, which keeps a
    request as quick as with today's 320-unit models. A letter's log-probability moves by 0.005
    nats on average (at most about 0.1), and, the activations' scale being the batch's, a little
    with the other rows of the batch (benchmarks/sampling.py, `int8_nll`)."""

    def __init__(self, layer: nn.Module, name: str, *, exact: bool) -> None:
        weight, bias = _weights(layer, name)
        self.packed = None if exact else _int8_packed(layer, name)
        # A view's head may be held in float16 (CharRNN.logits): widened once, here.
        self.weight_t, self.bias = weight.float().T, bias.float()

    def __call__(self, x: Tensor) -> Tensor:
        if self.packed is None:
            return torch.addmm(self.bias, x, self.weight_t)
        # reduce_range: 7-bit activations, so CPUs without VNNI cannot saturate their sums.
        out: Tensor = torch.ops.quantized.linear_dynamic(x, self.packed, True)
        return out


def _weights(layer: nn.Module, name: str) -> tuple[Tensor, Tensor]:
    """A layer's weight and bias: `weight_<name>` and `bias_<name>`, or a Linear's (name "")."""
    suffix = f"_{name}" if name else ""
    weight: Tensor = getattr(layer, f"weight{suffix}")
    bias: Tensor = getattr(layer, f"bias{suffix}")
    return weight, bias


def _int8_packed(layer: nn.Module, name: str) -> object | None:
    """`layer`'s weight `name` packed for fbgemm in int8, per output row: shared by every
    stepper over the same layer (a shared model's views share their recurrent layer), packed
    again when the weight is replaced or changed in place by autograd-visible ops (an optimizer
    step, load_state_dict; served weights are frozen once loaded). None, and the matmul stays
    float32, where this torch cannot pack it (no fbgemm: an ARM build)."""
    weight, bias = _weights(layer, name)
    key = (weight.data_ptr(), weight._version, bias.data_ptr(), bias._version)
    with _PACK_LOCK:  # one thread packs a weight, once (sampling runs in a thread pool)
        cached = _PACKS.setdefault(layer, {}).get(name)
        if cached is not None and cached[0] == key:
            return cached[1]
        if "fbgemm" not in torch.backends.quantized.supported_engines:
            return None
        # No float copy of the weight is made: a temporary of its size (4 MB for the shared
        # model's cell) would stay in the allocator's heap for good, resident but unused.
        w = weight.detach().float()
        scales = (torch.linalg.vector_norm(w, float("inf"), dim=1) / 127).clamp_(min=1e-12)
        zeros = torch.zeros(w.shape[0], dtype=torch.long)
        try:
            qweight = torch.quantize_per_channel(w, scales.double(), zeros, 0, torch.qint8)
            packed: object = torch.ops.quantized.linear_prepack(qweight, bias.detach().float())
        except (RuntimeError, NotImplementedError) as e:  # a quantized engine that cannot
            log.warning("sampling stays in float32: int8 packing failed (%s)", e)
            packed = None
        _PACKS[layer][name] = (key, packed)
        return packed


class _Stepper:
    """`CharRNN.step` for inference, fused for the GRU and the LSTM: the first layer's input
    projection of every label and of every character is precomputed once, so a step's input is
    a sum of two table rows instead of a matmul, and the cell is a few elementwise ops around
    one hidden matmul per layer (in int8 unless `exact`, see _Linear). The plain RNN cell keeps
    the module's own step."""

    def __init__(self, net: CharRNN, *, exact: bool = False) -> None:
        self.net = net
        c = net.config
        self.fast = c.cell in ("gru", "lstm") and not net.training
        if not self.fast:
            return
        rnn = net.rnn
        h = c.n_hidden
        # An LSTM's gates, in torch's order i, f, g, o: i and f lie together, one sigmoid.
        self.ifgo = tuple(slice(k * h, (k + 1) * h) for k in range(4))
        self.sigmoid_spans = (slice(0, 2 * h), self.ifgo[3])
        w_ih0, b_ih0 = rnn.weight_ih_l0.detach(), rnn.bias_ih_l0.detach()  # (gates * h, n_in)
        # A view may hold its letters in float16 (engine.nn.joint.view): widened here, exactly.
        embed, labels = net.embed.weight.detach().float(), net.label_embed.weight.detach()
        # Rows of characters, then rows of labels, summed per step by one embedding_bag (several
        # times quicker than two gathers and an add at a thousand rows). A (labels × vocab)
        # table of sums would cost megabytes per style (towns: 13 countries × 80 letters ×
        # 2,048 gates) for the one add it saves. Written in place: a temporary of each part
        # would leave holes in the heap that the next style's table does not fit.
        self.n_tok = embed.shape[0]
        self.table = torch.empty(self.n_tok + labels.shape[0], w_ih0.shape[0])
        torch.mm(embed, w_ih0[:, : c.n_embd].T, out=self.table[: self.n_tok])
        torch.addmm(b_ih0, labels, w_ih0[:, c.n_embd :].T, out=self.table[self.n_tok :])
        # Per layer: the hidden projection, and (above the first) the input projection.
        self.hidden = [_Linear(rnn, f"hh_l{k}", exact=exact) for k in range(c.n_layers)]
        self.inputs = [_Linear(rnn, f"ih_l{k}", exact=exact) for k in range(1, c.n_layers)]
        # The head stays float32: int8 saved nothing measurable at its size (512 × ~60).
        self.head = _Linear(net.head, "", exact=True)

    @staticmethod
    def version(net: CharRNN) -> tuple[bool, int]:
        """Changes whenever the weights change in place (training) or the mode flips. Buffers
        are not counted: a style's own packed head (engine.nn.joint.PackedRows) is never
        trained in place."""
        return net.training, sum(p._version for p in net.parameters())

    @classmethod
    def of(cls, net: CharRNN, *, exact: bool = False) -> _Stepper:
        """The stepper for `net`, kept while its weights stay the same, for the styles used
        last (MAX_STEPPERS): its tables cost half a megabyte to a megabyte a style and take
        under a millisecond to build again, so 78 styles need not hold 50 MB of them."""
        key, slot = cls.version(net), (id(net), exact)
        with _STEPPERS_LOCK:
            cached = _STEPPERS.get(slot)
            if cached is not None and cached[0] is net and cached[1] == key:
                _STEPPERS.move_to_end(slot)
                return cached[2]
        with torch.inference_mode():
            stepper = cls(net, exact=exact)
        with _STEPPERS_LOCK:
            _STEPPERS[slot] = (net, key, stepper)  # the net is held: its id stays its own
            _STEPPERS.move_to_end(slot)
            old = [_STEPPERS.popitem(last=False) for _ in range(len(_STEPPERS) - MAX_STEPPERS)]
        if old:
            n = len(old)
            del old  # freed here, outside the lock (unless a draw still holds one)
            heap.dropped(n)  # and their pages handed back now and then
        return stepper

    def __call__(self, tokens: Tensor, labels: Tensor, state: State | None) -> tuple[Tensor, State]:
        if not self.fast:
            return self.net.step(tokens, labels, state)
        c = self.net.config
        if state is None:
            zeros = torch.zeros(c.n_layers, tokens.shape[0], c.n_hidden)
            state = (zeros, zeros) if c.cell == "lstm" else zeros
        # Layer 0's input part: the token's row plus the label's, (b, gates * h).
        x = F.embedding_bag(torch.stack([tokens, labels + self.n_tok], 1), self.table, mode="sum")
        hs, cs = [], []
        for k, hidden in enumerate(self.hidden):
            if k > 0:
                x = self.inputs[k - 1](x)  # (b, gates * h)
            if isinstance(state, tuple):  # LSTM
                gates = hidden(state[0][k]).add_(x)  # a new tensor: the cell works in place
                for span in self.sigmoid_spans:
                    torch.sigmoid_(gates[:, span])
                i, f, g, o = (gates[:, span] for span in self.ifgo)
                torch.tanh_(g)
                cell = torch.mul(f, state[1][k]).addcmul_(i, g)
                h = torch.tanh(cell).mul_(o)
                cs.append(cell)
            else:  # GRU, gates r, z, n
                h = state[k]
                h_r, h_z, h_n = hidden(h).chunk(3, 1)
                i_r, i_z, i_n = x.chunk(3, 1)
                r = torch.sigmoid(i_r + h_r)
                z = torch.sigmoid(i_z + h_z)
                n = torch.tanh(i_n + r * h_n)
                h = n + z * (h - n)  # (1 - z) * n + z * h
            hs.append(h)
            x = h
        logits = self.head(x).add_(self.net.logit_mask)  # (b, vocab)
        if isinstance(state, tuple):
            return logits, (_layers(hs), _layers(cs))
        return logits, _layers(hs)


def _layers(xs: list[Tensor]) -> Tensor:
    """Per-layer states stacked (n_layers, b, h): one layer is a view, not a copy."""
    return xs[0][None] if len(xs) == 1 else torch.stack(xs)


MAX_STEPPERS = 4  # a stepper rebuilt costs about 0.2 ms, against 4-9 ms for a 10-name request
_STEPPERS: OrderedDict[tuple[int, bool], tuple[CharRNN, tuple[bool, int], _Stepper]] = OrderedDict()
_STEPPERS_LOCK = threading.Lock()
_PACK_LOCK = threading.Lock()
# torch 2.13 marks quantised tensors deprecated in favour of torchao (warned once a process);
# the pinned torch has them. Only that message is silenced.
warnings.filterwarnings(
    "ignore", message="torch.quantize_per_tensor, torch.quantize_per_channel", category=UserWarning
)
# Int8 weights by the layer and name they were packed from, with their versions (_int8_packed).
_PACKS: weakref.WeakKeyDictionary[nn.Module, dict[str, tuple[tuple[object, ...], object]]] = (
    weakref.WeakKeyDictionary()
)


def sample_rows(
    net: CharRNN,
    prefixes: Sequence[Sequence[int]],
    labels: Tensor,  # (b,) long
    temperatures: Tensor,  # (b,) float
    min_len: Tensor,  # (b,) long: EOS is masked until a row has this many characters
    max_len: Tensor,  # (b,) long: a row still writing past this many characters is dropped
    generator: torch.Generator,
    case_mask: CaseMask | None = None,
    p_min: float = 0.0,
    *,
    exact: bool = False,
) -> list[list[int] | None]:
    """Sample one name per row; returns each row's character ids, or None if it ran too long.

    With `case_mask`, a row only draws characters whose case may follow its last one (see
    engine.nn.casing); forced prefix characters are written as given. With `p_min` > 0, a row
    only draws letters at least `p_min` times as likely as its likeliest (min-p, before the
    temperature). `exact`: float32 recurrent matmuls instead of int8 (_Linear)."""
    rows, _ = draw_rows(
        net, prefixes, labels, temperatures, min_len, max_len, generator, case_mask, p_min,
        exact=exact,
    )  # fmt: skip
    return rows


@torch.inference_mode()
def draw_rows(
    net: CharRNN,
    prefixes: Sequence[Sequence[int]],
    labels: Tensor,
    temperatures: Tensor,
    min_len: Tensor,
    max_len: Tensor,
    generator: torch.Generator,
    case_mask: CaseMask | None = None,
    p_min: float | Tensor = 0.0,
    *,
    exact: bool = False,
) -> tuple[list[list[int] | None], list[float]]:
    """`sample_rows`, and each row's log-likelihood per character (end included) under the
    model itself at temperature 1, for a plausibility floor."""
    b = len(prefixes)
    loglik = torch.zeros(b)  # of each finished row, written when it finishes
    ran = torch.zeros(b, dtype=torch.long)  # characters each finished row wrote (prefix included)
    p_row = p_min if isinstance(p_min, Tensor) else torch.full((b,), float(p_min))
    cut = torch.where(p_row > 0, p_row.clamp(min=1e-12).log(), float("-inf"))[:, None]
    clean = bool((p_row > 0).any())
    width = int(max_len.max()) + 1
    out = torch.full((b, width), PAD, dtype=torch.long)
    end_at = torch.full((b,), -1, dtype=torch.long)
    p_width = max((len(p) for p in prefixes), default=0)
    # Forced characters per row and step, -1 where the row samples freely.
    forced = torch.tensor([[*p, *[-1] * (p_width - len(p))] for p in prefixes], dtype=torch.long)

    # Per-row values of the rows still alive; compacted together whenever rows finish.
    alive = torch.arange(b)
    lab, temp, lo, hi = labels, temperatures[:, None], min_len, max_len
    ll = torch.zeros(b)  # log-likelihood so far of the rows alive
    case = torch.full((b,), case_mask.start if case_mask else 0, dtype=torch.long)
    x = torch.full((b,), BOS, dtype=torch.long)
    state: State | None = None
    step = _Stepper.of(net, exact=exact)
    t = 0
    while alive.numel():
        logits, state = step(x, lab, state)  # (a, vocab)
        short = lo > t
        if case_mask is not None:
            logits += case_mask.logits.index_select(0, case)  # (a, vocab): 0 or -inf
            short &= case_mask.continues.index_select(0, case)  # where only the end may follow
        logits[:, EOS].masked_fill_(short, float("-inf"))
        # Normalised (the draws are the same): each letter's log-likelihood, for the floor.
        logp = torch.log_softmax(logits, dim=-1)
        logits = logp
        if clean:  # min-p: letters far less likely than the likeliest one are not drawn at all
            logits = logp.masked_fill(logp < logp.max(-1, keepdim=True)[0] + cut, float("-inf"))
        logits = logits / temp
        # Inverse-CDF sampling: one uniform draw per row (multinomial draws one per class).
        cdf = torch.softmax(logits, dim=-1).cumsum_(dim=-1)  # (a, vocab)
        u = torch.rand((cdf.shape[0], 1), generator=generator) * cdf[:, -1:]
        nxt = torch.searchsorted(cdf, u, right=True)[:, 0].clamp_(max=cdf.shape[1] - 1)
        lp = logp.gather(1, nxt[:, None])[:, 0]
        if t < p_width:
            f = forced[alive, t]
            free = f < 0
            nxt = torch.where(free, nxt, f)
            # The floor judges what the model wrote, not the prefix it was given.
            lp = torch.where(free, lp, 0.0)
        out[alive, t] = nxt
        ll += lp
        if case_mask is not None:
            case = case_mask.next_state[nxt]
        t += 1
        ended = nxt == EOS
        done = ended | (t > hi)  # t characters written and the row still going: too long
        if bool(done.any()):
            gone = alive[done]
            end_at[gone] = torch.where(ended[done], t - 1, -1)
            loglik[gone], ran[gone] = ll[done], t
            # Compact every per-row value: index_select by the rows kept is several times
            # quicker than indexing each by a boolean mask.
            keep = (~done).nonzero()[:, 0]
            alive, lab, temp, lo, hi, case, cut, ll, x = (
                v.index_select(0, keep) for v in (alive, lab, temp, lo, hi, case, cut, ll, nxt)
            )
            state = select_state(state, keep)
        else:
            x = nxt
    rows = out.tolist()
    # Per character the model wrote: the forced prefix is not counted.
    written = ran - torch.tensor([len(p) for p in prefixes], dtype=torch.long)
    per_char = (loglik / written.clamp_(min=1)).tolist()
    return [
        row[:e] if e >= 0 else None for row, e in zip(rows, end_at.tolist(), strict=True)
    ], per_char


def generate(
    model: NameModel,
    request: GenerationRequest,
    family: NameModel | None = None,
    *,
    exact: bool = False,
) -> GenerationResult:
    """One request; repeatable when `request.seed` is set. `family`, `exact`: as for
    `generate_many`."""
    return generate_many(model, [request], seed=request.seed, family=family, exact=exact)[0]


def generate_many(
    model: NameModel,
    requests: Sequence[GenerationRequest],
    seed: int | None = None,
    words: WordFilter | None = None,
    family: NameModel | None = None,
    *,
    exact: bool = False,
) -> list[GenerationResult]:
    """Serve several requests to one model together, sharing every batch between them.
    `words` is the word filter for requests that ask for one (default: WordFilter.default());
    `family` the model of the style's family names, which full names need (the caller takes it
    from the registry, as it took `model`). `exact` runs the recurrent matmuls in float32, as
    the sampler before the shared model did, instead of int8 (_Linear): benchmarks use it for
    today's side."""
    plans = [plan(model, r, family) for r in requests]
    words = words or WordFilter.default()
    gen = torch.Generator().manual_seed(seed if seed is not None else random.getrandbits(63))
    found: list[list[str]] = [[] for _ in plans]
    found_labels: list[list[int]] = [[] for _ in plans]  # the label each name was drawn with
    seen: list[set[str]] = [set() for _ in plans]
    tried = [0] * len(plans)
    withheld = [0] * len(plans)
    # A prefix the filter already blocks ("Fuck") dooms every candidate: draw none for it.
    doomed = [p.request.filter and words.dooms(p.prefix) is not None for p in plans]
    prior = torch.tensor(model.label_prior)

    for _ in range(MAX_ROUNDS):
        todo = [i for i, p in enumerate(plans) if len(found[i]) < p.wanted and not doomed[i]]
        if not todo:
            break
        rows_for: list[int] = []
        for i in todo:
            p = plans[i]
            budget = ROWS_PER_NAME * p.wanted + 500 - tried[i]
            missing = p.wanted - len(found[i])
            # Expect this round to accept what earlier rounds did (a prior guess at first).
            rate = max(len(found[i]) / tried[i], 0.02) if tried[i] else p.prior_acceptance()
            rows_for.append(max(0, min(budget, math.ceil(missing / rate * 1.15) + 2)))
        # A request whose effort budget is spent sits the remaining rounds out.
        todo, rows_for = (
            [i for i, n in zip(todo, rows_for, strict=True) if n],
            [n for n in rows_for if n],
        )
        if not todo:
            break
        prefixes: list[tuple[int, ...]] = []
        label_parts, temps, los, his, p_mins = [], [], [], [], []
        for i, n in zip(todo, rows_for, strict=True):
            p = plans[i]
            starts = _like_starts(model, p, n, gen) if p.like else [p.prefix_ids] * n
            prefixes.extend(starts)
            if p.label is None:
                label_parts.append(torch.multinomial(prior, n, replacement=True, generator=gen))
            else:
                label_parts.append(torch.full((n,), p.label, dtype=torch.long))
            heat = CLEAN_HEAT if p.request.clean else 1.0
            temps.append(torch.full((n,), float(p.request.temperature) * heat))
            los.append(torch.tensor([max(p.min_len, len(x)) for x in starts], dtype=torch.long))
            his.append(torch.full((n,), p.max_len, dtype=torch.long))
            p_mins.append(torch.full((n,), P_MIN if p.request.clean else 0.0))
        row_labels = torch.cat(label_parts)
        rows, logliks = draw_rows(
            model.net,
            prefixes,
            row_labels,
            torch.cat(temps),
            torch.cat(los),
            torch.cat(his),
            gen,
            model.case_mask,
            torch.cat(p_mins),
            exact=exact,
        )
        start = 0
        for i, n in zip(todo, rows_for, strict=True):
            p = plans[i]
            tried[i] += n
            fresh: list[tuple[str, int]] = []
            labs = row_labels[start : start + n].tolist()
            for ids, lab, ll in zip(
                rows[start : start + n], labs, logliks[start : start + n], strict=True
            ):
                if ids is None:
                    continue
                name = model.vocab.decode(ids)
                if name in seen[i] or not p.accepts(name, model):
                    continue
                if p.floor is not None and ll < p.floor:
                    continue  # implausible: the model itself finds it unlike its names
                seen[i].add(name)
                fresh.append((name, lab))
            if p.neutral and fresh:
                keep = _neutral(model, [n for n, _ in fresh])
                fresh = [x for x, ok in zip(fresh, keep, strict=True) if ok]
            for name, lab in fresh:
                if len(found[i]) >= p.wanted:
                    break
                if p.request.filter and words.blocks(name):
                    withheld[i] += 1
                    continue
                found[i].append(name)
                found_labels[i].append(lab)
            start += n

    for i, p in enumerate(plans):
        if p.like:
            found[i], found_labels[i] = _likest(found[i], found_labels[i], p)

    real: list[frozenset[str]] = []
    for i, p in enumerate(plans):
        if p.request.full and found[i] and p.request.style in families.MADE:
            seed_i = int(torch.randint(2**62, (1,), generator=gen))
            found[i] = _with_made_family(model, p.request, found[i], words, seed_i, exact)
            real.append(frozenset())
        elif p.request.full and found[i]:
            assert family is not None  # plan() refuses full names without it
            seed_i = int(torch.randint(2**62, (1,), generator=gen))
            found[i], blocked, real_full = _with_family(
                model, family, p.request, found[i], found_labels[i], words, seed_i, exact
            )
            withheld[i] += blocked
            real.append(real_full)
        else:
            real.append(frozenset(n for n in found[i] if n in model.corpus_names))

    results = []
    for p, names, n_tried, n_withheld, dead, known in zip(
        plans, found, tried, withheld, doomed, real, strict=True
    ):
        note = None
        if dead:
            note = f"no names that start with {p.prefix!r}: the word filter withholds them"
        elif len(names) < p.request.count:
            why = f", {n_withheld} withheld by the word filter" if n_withheld else ""
            note = (
                f"found {len(names)} of {p.request.count} names that {p.describe()} "
                f"after {n_tried} tries{why}; a higher temperature or looser options may find more"
            )
        results.append(GenerationResult(p.request, tuple(names), note, n_tried, n_withheld, known))
    return results


def _neutral(model: NameModel, names: list[str]) -> list[bool]:
    """Whether each name reads about as well as a female as a male name (NEUTRAL_GAP)."""
    female, male = model.labels.index("female"), model.labels.index("male")
    gap = name_logliks(model, names, female) - name_logliks(model, names, male)
    return [abs(float(g)) <= NEUTRAL_GAP for g in gap]


def _like_starts(model: NameModel, p: _Plan, n: int, gen: torch.Generator) -> list[tuple[int, ...]]:
    """Where each candidate for names like the given ones starts: the user's prefix if any,
    else a third each on the first two letters of a given name, its first letter, or nothing,
    so that the pool holds names sharing their beginning and names sharing only their sound."""
    if p.prefix_ids:
        return [p.prefix_ids] * n
    starts: list[tuple[int, ...]] = []
    picks = torch.randint(len(p.like), (n,), generator=gen).tolist()
    for k, pick in enumerate(picks):
        name = p.like[pick]
        keep = (2, 1, 0)[k % 3]
        head = name[:keep]
        starts.append(() if model.vocab.unknown(head) else tuple(model.vocab.encode(head)))
    return starts


def similarity(a: str, b: str) -> float:
    """How alike two names sound and look: the Dice overlap of their letter pairs (with the
    start and end marked, so shared beginnings and endings count), less a little per letter of
    length they differ by. 1 for the same name."""

    def pairs(x: str) -> list[str]:
        x = f"^{x.casefold()}$"
        return [x[i : i + 2] for i in range(len(x) - 1)]

    pa, pb = pairs(a), pairs(b)
    rest = list(pb)
    shared = 0
    for bg in pa:
        if bg in rest:
            rest.remove(bg)
            shared += 1
    return 2 * shared / (len(pa) + len(pb)) - 0.02 * abs(len(a) - len(b))


def _likest(names: list[str], labels: list[int], p: _Plan) -> tuple[list[str], list[int]]:
    """The `count` candidates most like any of the given names, likest first."""
    scored = sorted(
        zip(names, labels, strict=True),
        key=lambda x: -max(similarity(x[0], like) for like in p.like),
    )[: p.request.count]
    return [n for n, _ in scored], [lab for _, lab in scored]


def _with_made_family(
    model: NameModel,
    r: GenerationRequest,
    given: list[str],
    words: WordFilter,
    seed: int,
    exact: bool,
) -> list[str]:
    """Full names for a fantasy style without a list of family names (engine.corpora.families):
    a clan name joined from two words, or a house named by another name of the style."""
    rng = random.Random(seed)
    if r.style in families.HOUSE_STYLES:
        ask = GenerationRequest(
            style=r.style, temperature=r.temperature, count=len(given), new_only=True,
            filter=r.filter, exclude=frozenset(given),
        )  # fmt: skip
        (houses,) = generate_many(model, [ask], seed, words, exact=exact)
        named = list(houses.names)
        if len(named) < len(given):
            # New names are rare in a style that mostly copies its list (dragonborn: about 3 in
            # 100 draws at t=1): its real names name the other houses, rather than a name asked
            # for going without one.
            rest = replace(ask, count=len(given) - len(named), new_only=False,
                           exclude=frozenset((*given, *named)))  # fmt: skip
            named += generate_many(model, [rest], seed + 1, words, exact=exact)[0].names
        pairs = zip(given, named, strict=False)
        full = [f"{name} {families.house(r.style, house)}" for name, house in pairs]
    else:
        full = [f"{name} {families.compound(r.style, rng)}" for name in given]
    return [name for name in full if not (r.filter and words.blocks(name))]


def _with_family(
    model: NameModel,
    family: NameModel,
    r: GenerationRequest,
    given: list[str],
    labels: list[int],
    words: WordFilter,
    seed: int,
    exact: bool,
) -> tuple[list[str], int, frozenset[str]]:
    """Give each name a family name of the same gender when the family names have genders;
    returns the full names, how many the word filter withheld as a whole, and the full names
    whose both parts are in the training lists."""
    by_label: dict[str | None, list[int]] = {}
    for k, lab in enumerate(labels):
        gender = model.labels[lab] if lab < len(model.labels) else None  # neutral: none
        by_label.setdefault(gender if gender in family.labels else None, []).append(k)
    asks = [
        GenerationRequest(
            style=family.corpus_name,
            temperature=r.temperature,
            count=len(ks),
            label=gender,
            new_only=r.new_only,
            filter=r.filter,
        )
        for gender, ks in by_label.items()
    ]
    surnames: dict[int, str] = {}
    drawn = generate_many(family, asks, seed, words, exact=exact)
    for ks, res in zip(by_label.values(), drawn, strict=True):
        surnames.update(zip(ks, res.names, strict=False))
    full = {f"{name} {surnames[k]}": (name, surnames[k]) for k, name in enumerate(given)
            if k in surnames}  # fmt: skip
    kept = [name for name in full if not (r.filter and words.blocks(name))]
    real = frozenset(
        name for name in kept
        if full[name][0] in model.corpus_names and full[name][1] in family.corpus_names
    )  # fmt: skip
    return kept, len(full) - len(kept), real
