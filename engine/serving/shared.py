"""The shared model: one JointCharRNN file that serves every shipped style, and the styles cut
out of it — one per style, and blends of several made on request.

The file (`_shared.pt`, a name no style can have) holds the network in float16, each style's
letters, labels, corpus names, own head where it has one (int8 rows), and score quantiles.
Loading it gives an ordinary `NameModel` per style whose network is a view of the shared one
(engine.nn.joint.view): the recurrent weights are held once, however many styles and blends
are served.

Blends mix the styles' conditioning vectors and their heads with the given weights: averaging
heads' logits is a weighted geometric mean of the styles' next-letter distributions.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from engine.blends import Blend
from engine.corpora.corpus import Corpus
from engine.errors import CheckpointError, RequestError
from engine.nn.joint import NONE, JointCharRNN, JointConfig, PackedRows, view
from engine.nn.jointtrain import JointTrainResult, StyleFit, fit_style
from engine.nn.model import CharRNN
from engine.nn.vocab import BOS, EOS, N_SPECIAL, PAD, Vocabulary
from engine.serving.nameset import NameSet
from engine.serving.quantiles import Quantiles
from engine.serving.scoring import corpus_quantiles, mean_nll
from engine.serving.trained import NameModel, Voice

FORMAT = "namesmith-shared"
# 2: a style's own head as int8 rows with a power-of-two scale each (engine.nn.joint.pack_rows);
# 1 kept them in float16, and is still read (packed as it is read: a letter's log-probability
# moves by about a thousandth of a nat).
FORMAT_VERSION = 2
SHARED_FILE = "_shared.pt"
NEAREST_SAMPLE = 100  # training names a new style's nearest shipped style is judged on (~1 s)
NEUTRAL_FROM = ("female", "male")  # a neutral conditioning is the mean of these two labels
# A voice's base named the file's digest until 2026-12-08, the network's hash since: the files
# shipped before then, by digest, and the network each holds, so that voices learned on them
# still blend wherever that network is served.
EARLIER_FILES = {
    "08941017beae268b": "f0280cf252a69ffd",  # 2026-12-07, commit 580b2ec
    "e39c4f7f40ce895e": "f0280cf252a69ffd",  # 2026-12-08, 3ea13fb
    "c83f6237ad33e81c": "f0280cf252a69ffd",  # 2026-12-08, 2841446
}


def network_of(base: str) -> str:
    """The network a voice's recorded base names (an earlier file's digest: its network)."""
    return EARLIER_FILES.get(base, base)


@dataclass(frozen=True, slots=True)
class StyleEntry:
    """What the shared file keeps of one style besides the network."""

    style: str
    chars: str
    labels: tuple[str, ...]  # from the shared label table; empty: the style has none
    label_prior: tuple[float, ...]
    corpus_name: str
    corpus_fingerprint: str
    corpus_names: NameSet = field(repr=False)
    score_quantiles: Quantiles = field(repr=False)
    capitalized: bool = True
    max_len: int = 32
    metrics: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    @classmethod
    def of(
        cls,
        style: str,
        corpus: Corpus,
        metrics: dict[str, Any] | None = None,
        description: str = "",
    ) -> StyleEntry:
        """What serving needs of a style's corpus (its scores come later: they need a model)."""
        names = corpus.names
        return cls(
            style=style,
            chars="".join(sorted(set("".join(names)))),
            labels=tuple(corpus.labels),
            label_prior=tuple(corpus.label_prior()),
            corpus_name=corpus.name,
            corpus_fingerprint=corpus.fingerprint,
            corpus_names=NameSet(names),
            score_quantiles=Quantiles(),
            capitalized=sum(n[0].isupper() for n in names) >= 0.95 * len(names),
            max_len=max(len(n) for n in names),
            metrics=metrics or {},
            description=description,
        )


@dataclass(eq=False)
class SharedModel:
    """The joint network and its styles; hands out per-style and blended NameModels."""

    net: JointCharRNN
    vocab: Vocabulary
    labels: tuple[str, ...]
    entries: dict[str, StyleEntry]
    style_index: dict[str, int]
    # A style's own output layer, where it has one: its rows only (the special tokens, then its
    # letters: `_rows`), packed as the file keeps them; `head` places them in the shared layer.
    heads: dict[str, PackedRows]
    fingerprint: str
    _blends: OrderedDict[tuple[str, str | None, tuple[tuple[str, str], ...]], NameModel] = field(
        default_factory=OrderedDict, repr=False
    )
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # -- conditioning ------------------------------------------------------------------------

    def _label_vec(self, label: str) -> Tensor:
        return self.net.label_embed.weight[self.labels.index(label)]

    def _conds(self, style_vec: Tensor, labels: Sequence[str]) -> tuple[Tensor, int | None]:
        """One conditioning row per label (NONE when there are none), plus a neutral row when
        the labels have both genders; returns the rows and the neutral row's index."""
        rows = [torch.cat([style_vec, self._label_vec(lab)]) for lab in labels or (NONE,)]
        neutral = None
        if all(g in labels for g in NEUTRAL_FROM):
            mid = torch.stack([self._label_vec(g) for g in NEUTRAL_FROM]).mean(0)
            neutral = len(rows)
            rows.append(torch.cat([style_vec, mid]))
        return torch.stack(rows), neutral

    def head(self, style: str) -> tuple[Tensor, Tensor]:
        """A style's output layer over the whole vocabulary: its own rows where it has its own,
        the shared layer's elsewhere. Built when asked (a copy of the shared layer is over a
        megabyte), never kept."""
        if style not in self.heads:
            return self.net.head.weight.float(), self.net.head.bias.float()
        own = self.heads[style]
        return _full_head(self.net, self.vocab, self.entries[style].chars, own.weight, own.bias)

    # -- models ------------------------------------------------------------------------------

    def model(self, style: str) -> NameModel:
        e = self.entries[style]
        vec = self.net.style_embed.weight[self.style_index[style]]
        conds, neutral = self._conds(vec, e.labels)
        net = view(self.net, self.vocab, e.chars, conds, own_rows=self.heads.get(style))
        return self._named(e, net, neutral, self)

    def fit_new(
        self,
        corpus: Corpus,
        train_idx: Sequence[int],
        val_idx: Sequence[int],
        *,
        seconds: float,
        max_steps: int | None = None,
        like: str | None = None,
        seed: int = 1337,
        on_progress: Any = None,
    ) -> tuple[NameModel, StyleFit]:
        """A new style (or a new version of one) taught to this frozen network from `corpus`:
        its own conditioning vector and head, starting from those of `like` (a style of the
        same name) when given, else of the shipped style its training names fit best; returns
        it as a plain model, which no other style shares anything with. Raises RequestError
        when the list has letters or labels the network cannot learn here (then training from
        scratch is the way)."""
        self.check_learnable(corpus)
        lab_ix = {lab: i for i, lab in enumerate(self.labels)}
        labels = [
            lab_ix[corpus.labels[i]] if corpus.labels else lab_ix[NONE] for i in corpus.label_ids
        ]
        if like is None or like not in self.style_index:
            like = self.nearest([corpus.names[i] for i in train_idx[:NEAREST_SAMPLE]])
        init = None if like is None else self.net.style_embed.weight[self.style_index[like]]
        fit = fit_style(
            self.net, self.vocab, corpus.names, labels, train_idx, val_idx,
            seconds=seconds, max_steps=max_steps, init=init,
            init_head=None if like is None else self.head(like), seed=seed,
            on_progress=on_progress,
        )  # fmt: skip
        names = corpus.names
        entry = StyleEntry.of(corpus.name, corpus)
        conds, neutral = self._conds(fit.style_vec, entry.labels)
        net = view(self.net, self.vocab, entry.chars, conds, fit.head)
        model = self._named(entry, net, neutral, None)
        q = corpus_quantiles(model, list(names))
        voice = Voice(fit.style_vec.detach().clone(), self.fingerprint)
        return replace(model, score_quantiles=q, voice=voice), fit

    def nearest(self, names: Sequence[str]) -> str | None:
        """The shipped style under which `names` are likeliest (of those that write all their
        letters), None when none does: where a new style starts learning from."""
        scores = {}
        for style, entry in self.entries.items():
            if all(c in entry.chars for name in names for c in name):
                scores[style] = mean_nll(self.model(style), names)
        return min(scores, key=scores.__getitem__) if scores else None

    def check_learnable(self, corpus: Corpus) -> None:
        """Raise RequestError saying why `corpus` cannot be taught to this network."""
        letters = self.vocab.unknown("".join(sorted(set("".join(corpus.names)))))
        if letters:
            raise RequestError(
                f"the shared model has never seen {', '.join(letters[:8])}"
                + (" and more" if len(letters) > 8 else "")
            )
        odd = [lab for lab in corpus.labels if lab not in self.labels]
        if odd:
            raise RequestError(f"the shared model knows no label {', '.join(odd[:4])}")

    def _named(
        self, e: StyleEntry, net: CharRNN, neutral: int | None, shared: SharedModel | None
    ) -> NameModel:
        return NameModel(
            net=net,
            vocab=Vocabulary(e.chars),
            labels=e.labels,
            label_prior=e.label_prior,
            corpus_name=e.corpus_name,
            corpus_fingerprint=e.corpus_fingerprint,
            corpus_names=e.corpus_names,
            score_quantiles=e.score_quantiles,
            capitalized=e.capitalized,
            max_len=e.max_len,
            metrics=e.metrics,
            description=e.description,
            neutral=neutral,
            shared=shared,
        )

    def models(self) -> dict[str, NameModel]:
        return {style: self.model(style) for style in self.entries}

    def blend(self, blend: Blend, voices: Mapping[str, NameModel] | None = None) -> NameModel:
        """A model between styles, weighted as the blend says. `voices` are styles learned on
        this network after it shipped (a retrained style: its own vector and head), used in
        place of the shipped style of the same name. Kept in a small cache, so a blend asked
        for again is not rebuilt."""
        parts = blend.parts
        voices = {s: m for s, m in (voices or {}).items() if s in blend.styles}
        foreign = [
            s
            for s, m in voices.items()
            if m.voice is None or network_of(m.voice.base) != self.fingerprint
        ]
        if foreign:
            raise RequestError(
                f"{', '.join(foreign)} cannot be blended: it was learned on another shipped model"
            )
        key = (blend.key, blend.alias, tuple(sorted(_voice_key(s, m) for s, m in voices.items())))
        with self._lock:
            cached = self._blends.get(key)
            if cached is not None:
                self._blends.move_to_end(key)
                return cached
        unknown = [s for s, _ in parts if s not in self.entries and s not in voices]
        if unknown:
            raise RequestError(f"{', '.join(unknown)} cannot be blended: not in the shared model")
        entries = [_entry_of(s, voices[s]) if s in voices else self.entries[s] for s, _ in parts]
        weights = torch.tensor([w for _, w in parts])
        vec = torch.stack([w * self._vec(s, voices) for s, w in parts]).sum(0)
        # Labels every part has (genders of two gendered styles); else none.
        labels = tuple(lab for lab in entries[0].labels if all(lab in e.labels for e in entries))
        conds, neutral = self._conds(vec, labels)
        heads = [self._voice_head(voices[s]) if s in voices else self.head(s) for s, _ in parts]
        weight = torch.einsum("k,kvh->vh", weights, torch.stack([h[0] for h in heads]))
        bias = torch.einsum("k,kv->v", weights, torch.stack([h[1] for h in heads]))
        chars = "".join(sorted({c for e in entries for c in e.chars}))
        net = view(self.net, self.vocab, chars, conds, (weight, bias))
        name = blend.alias or blend.key
        priors = _blend_prior(labels, entries)
        model = NameModel(
            net=net,
            vocab=Vocabulary(chars),
            labels=labels,
            label_prior=priors,
            corpus_name=name,
            corpus_fingerprint=hashlib.sha256(
                (self.fingerprint + name + repr(key[2])).encode()
            ).hexdigest()[:16],
            corpus_names=NameSet(n for e in entries for n in e.corpus_names),
            score_quantiles=Quantiles(),
            capitalized=all(e.capitalized for e in entries),
            max_len=max(e.max_len for e in entries),
            description=blend.describe(),
            neutral=neutral,
            shared=self,
        )
        with self._lock:
            self._blends[key] = model
            while len(self._blends) > 64:
                self._blends.popitem(last=False)
        return model

    def _vec(self, style: str, voices: Mapping[str, NameModel]) -> Tensor:
        voice = voices[style].voice if style in voices else None
        if voice is not None:
            return voice.style_vec
        return self.net.style_embed.weight[self.style_index[style]]

    def _voice_head(self, model: NameModel) -> tuple[Tensor, Tensor]:
        """A voice's head over the whole vocabulary: its rows, the shared head's elsewhere."""
        return _full_head(
            self.net, self.vocab, model.vocab.chars, model.net.head.weight, model.net.head.bias
        )


def _voice_key(style: str, model: NameModel) -> tuple[str, str]:
    """Tells one learned voice of a style from another (a retrain makes a new one)."""
    assert model.voice is not None
    vec = model.voice.style_vec.detach().numpy().tobytes()
    return style, hashlib.sha256(vec + model.corpus_fingerprint.encode()).hexdigest()[:16]


def _entry_of(style: str, model: NameModel) -> StyleEntry:
    """What a blend reads of a style, from a voice's model."""
    return StyleEntry(
        style=style,
        chars=model.vocab.chars,
        labels=model.labels,
        label_prior=model.label_prior,
        corpus_name=model.corpus_name,
        corpus_fingerprint=model.corpus_fingerprint,
        corpus_names=model.corpus_names,
        score_quantiles=model.score_quantiles,
        capitalized=model.capitalized,
        max_len=model.max_len,
    )


def _blend_prior(labels: Sequence[str], entries: Sequence[StyleEntry]) -> tuple[float, ...]:
    if not labels:
        return (1.0,)
    shares = [
        sum(e.label_prior[e.labels.index(lab)] for e in entries) / len(entries) for lab in labels
    ]
    total = sum(shares) or 1.0
    return tuple(s / total for s in shares)


def build(
    result: JointTrainResult, corpora: Mapping[str, Corpus], descriptions: Mapping[str, str]
) -> SharedModel:
    """The shared model of a training run, with what serving needs of each style's corpus
    (its letters, labels, names, and the score quantiles /rate compares against)."""
    entries = {}
    for style in result.styles:
        entries[style] = StyleEntry.of(
            style,
            corpora[style],
            metrics={
                "val_nll": round(result.val[style], 4),
                "shared_head_val_nll": round(result.shared_val[style], 4),
                "own_head": style in result.heads,
                "steps": result.best_step,
                "stopped": "max_steps",
            },
            description=descriptions.get(style, ""),
        )
    model = SharedModel(
        net=result.net.eval(),
        vocab=result.vocab,
        labels=tuple(result.labels),
        entries=entries,
        style_index={s: i for i, s in enumerate(result.styles)},
        heads={
            s: _packed_head(result.vocab, entries[s].chars, *h) for s, h in result.heads.items()
        },
        fingerprint="",
    )
    _as_saved(model)
    model.fingerprint = _fingerprint(_half_state(model.net), model.vocab.chars, model.labels)
    for style in result.styles:
        q = corpus_quantiles(model.model(style), list(corpora[style].names))
        entries[style] = replace(entries[style], score_quantiles=q)
    return model


def _as_saved(model: SharedModel) -> None:
    """Round the weights to what the file keeps (float16; own heads are packed already), so
    that what is computed from them here (the score quantiles) is what a process loading the
    file computes."""
    with torch.no_grad():
        for p in model.net.parameters():
            p.copy_(p.half().float())


def save(model: SharedModel, path: str | Path, meta: Mapping[str, Any]) -> Path:
    """Write the shared file atomically; weights in float16 (their NLL changes by < 1e-4), own
    heads as packed int8 rows (engine.nn.joint.pack_rows: phase 2 scores them so)."""
    path = Path(path)
    net, vocab, entries = model.net, model.vocab, model.entries
    styles = sorted(model.style_index, key=model.style_index.__getitem__)
    half = _half_state(net)
    payload = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": asdict(net.config),
        "chars": vocab.chars,
        "labels": list(model.labels),
        "styles": styles,
        "state_dict": half,
        "heads": {s: (h.q, h.exp, h.bias) for s, h in model.heads.items()},
        "entries": {
            s: {
                **{k: v for k, v in asdict(e).items() if k not in ("corpus_names", "labels")},
                "labels": list(e.labels),
                "label_prior": list(e.label_prior),
                "score_quantiles": torch.tensor(list(e.score_quantiles), dtype=torch.float32),
                "corpus_names": e.corpus_names.joined(),
            }
            for s, e in entries.items()
        },
        "meta": dict(meta),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(payload, f)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load(path: str | Path) -> SharedModel:
    """Read a shared file; anything truncated, foreign or from a newer Namesmith is refused."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            payload = torch.load(f, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(f"{path.name}: not a readable Namesmith shared model") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path.name}: not a Namesmith shared model")
    version = payload.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise CheckpointError(f"{path.name}: written by a newer Namesmith (format {version})")
    try:
        net = JointCharRNN(JointConfig(**payload["config"]))
        state = dict(payload["state_dict"])
        allowed = state.pop("style_mask")
        state = {k: v.float() for k, v in state.items()}
        state["style_mask"] = torch.where(allowed, 0.0, float("-inf"))
        net.load_state_dict(state)
        net.requires_grad_(False)
        # The shared head in float16, as the file keeps it (0.6 MB instead of 1.3): views copy
        # its rows in float16 anyway, and `head` widens it when a blend or a new voice needs it.
        net.head.half()
        entries = {}
        for style, e in payload["entries"].items():
            entries[style] = StyleEntry(
                style=style,
                chars=e["chars"],
                labels=tuple(e["labels"]),
                label_prior=tuple(float(p) for p in e["label_prior"]),
                corpus_name=e["corpus_name"],
                corpus_fingerprint=e["corpus_fingerprint"],
                corpus_names=NameSet(e["corpus_names"].split("\n")),
                score_quantiles=Quantiles(e["score_quantiles"].tolist()),
                capitalized=bool(e["capitalized"]),
                max_len=int(e["max_len"]),
                metrics=dict(e["metrics"]),
                description=str(e["description"]),
            )
        styles = list(payload["styles"])
        return SharedModel(
            net=net.eval(),
            vocab=Vocabulary(payload["chars"]),
            labels=tuple(payload["labels"]),
            entries=entries,
            style_index={s: i for i, s in enumerate(styles)},
            heads={s: _stored_head(h, entries[s], version) for s, h in payload["heads"].items()},
            fingerprint=_fingerprint(payload["state_dict"], payload["chars"], payload["labels"]),
        )
    except (KeyError, TypeError, ValueError, RuntimeError, AttributeError) as exc:
        raise CheckpointError(
            f"{path.name}: the shared model is incomplete or inconsistent"
        ) from exc


def _half_state(net: JointCharRNN) -> dict[str, Tensor]:
    """The network as the file keeps it: float16 weights, each style's letters as booleans."""
    half = {
        k: v.half() if v.is_floating_point() and k != "style_mask" else v
        for k, v in net.state_dict().items()
    }
    half["style_mask"] = net.style_mask == 0  # bool: the letters each style writes
    return half


def _fingerprint(half: Mapping[str, Tensor], chars: str, labels: Sequence[str]) -> str:
    """Names the network a new voice is learned on (its base): a hash of its weights as the
    file keeps them, its letters and labels; not of the styles' own heads, so a voice stays
    blendable when only those are fitted again (make_models --phase2-from)."""
    h = hashlib.sha256(repr((chars, list(labels), sorted(half))).encode())
    for key in sorted(half):
        h.update(half[key].contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def _rows(vocab: Vocabulary, chars: str) -> Tensor:
    """The head rows of a style: the special tokens, then its letters."""
    return torch.tensor([PAD, BOS, EOS, *vocab.encode(chars)])


def _packed_head(vocab: Vocabulary, chars: str, w: Tensor, b: Tensor) -> PackedRows:
    """A style's own head over the whole vocabulary, as the shared model keeps it: its rows."""
    rows = _rows(vocab, chars)
    return PackedRows.of(w[rows], b[rows])


def _stored_head(stored: Sequence[Tensor], entry: StyleEntry, version: int) -> PackedRows:
    """A style's own head from the file: a row per special token and letter, packed (int8 rows,
    their exponents, the bias) or, in a version 1 file, float16 (weight, bias), packed here."""
    if len(stored) != (2 if version == 1 else 3):
        raise ValueError(f"the {entry.style} head is not what format {version} keeps")
    own = PackedRows.of(*stored) if version == 1 else PackedRows(*stored)
    if own.q.shape[0] != len(entry.chars) + N_SPECIAL:
        raise ValueError(f"the {entry.style} head does not fit its letters")
    return own


def _full_head(
    net: JointCharRNN, vocab: Vocabulary, chars: str, w: Tensor, b: Tensor
) -> tuple[Tensor, Tensor]:
    """A style's stored head rows placed into a copy of the shared head."""
    rows = _rows(vocab, chars)
    weight = net.head.weight.detach().to(torch.float32, copy=True)
    bias = net.head.bias.detach().to(torch.float32, copy=True)
    weight[rows], bias[rows] = w.float(), b.float()
    return weight, bias
