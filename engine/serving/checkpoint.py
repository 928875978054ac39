"""One file per trained style: config, vocabulary, weights, corpus fingerprint, metrics, version.

Written atomically (temp file, fsync, rename, fsync of the folder) and read back with
`weights_only=True`, so a checkpoint can hold nothing but tensors and plain values.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

from engine.corpora.corpus import Corpus
from engine.errors import CheckpointError
from engine.nn.model import CharRNN, ModelConfig
from engine.nn.vocab import Vocabulary
from engine.serving.nameset import NameSet
from engine.serving.quantiles import Quantiles
from engine.serving.scoring import corpus_quantiles
from engine.serving.trained import NameModel, Voice

FORMAT = "namesmith-charrnn"
FORMAT_VERSION = 1


def build(
    net: CharRNN,
    vocab: Vocabulary,
    corpus: Corpus,
    metrics: dict[str, Any],
    description: str = "",
) -> NameModel:
    """Wrap a freshly trained network; computes the corpus score distribution for percentiles."""
    names = corpus.names
    partial = NameModel(
        net=net.eval(),
        vocab=vocab,
        labels=corpus.labels,
        label_prior=tuple(corpus.label_prior()),
        corpus_name=corpus.name,
        corpus_fingerprint=corpus.fingerprint,
        corpus_names=NameSet(names),
        score_quantiles=Quantiles(),
        capitalized=sum(n[0].isupper() for n in names) >= 0.95 * len(names),
        max_len=max(len(n) for n in names),
        metrics=metrics,
        description=description,
    )
    return replace(partial, score_quantiles=corpus_quantiles(partial, list(names)))


def save(model: NameModel, path: str | Path) -> Path:
    """Write atomically: a reader sees the old file or the new one, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": asdict(model.net.config),
        "chars": model.vocab.chars,
        "labels": list(model.labels),
        "label_prior": list(model.label_prior),
        "corpus": {
            "name": model.corpus_name,
            "fingerprint": model.corpus_fingerprint,
            "names": model.corpus_names.joined(),
        },
        "score_quantiles": torch.tensor(list(model.score_quantiles), dtype=torch.float32),
        "capitalized": model.capitalized,
        "max_len": model.max_len,
        "metrics": dict(model.metrics),
        "description": model.description,
        "neutral": model.neutral,
        "state_dict": model.net.state_dict(),
        # A style learned on the shipped shared model: what blending it needs.
        "voice": None
        if model.voice is None
        else {"style_vec": model.voice.style_vec, "base": model.voice.base},
    }
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(payload, f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a model is no secret
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
    return path


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable: the new directory entry survives a power cut."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def load(path: str | Path) -> NameModel:
    """Read a checkpoint; anything truncated, foreign or from a newer Namesmith is refused."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path.name}: no such checkpoint file")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds for damaged zips and pickles
        raise CheckpointError(
            f"{path.name}: not a readable Namesmith checkpoint (damaged or truncated)"
        ) from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path.name}: not a Namesmith checkpoint")
    version = payload.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise CheckpointError(
            f"{path.name}: written by a newer Namesmith (format {version}); "
            f"this version reads format {FORMAT_VERSION}. Upgrade Namesmith."
        )
    try:
        config = ModelConfig(**payload["config"])
        net = CharRNN(config)
        net.load_state_dict(payload["state_dict"])
        corpus = payload["corpus"]
        return NameModel(
            net=net.eval(),
            vocab=Vocabulary(payload["chars"]),
            labels=tuple(payload["labels"]),
            label_prior=tuple(float(p) for p in payload["label_prior"]),
            corpus_name=corpus["name"],
            corpus_fingerprint=corpus["fingerprint"],
            corpus_names=NameSet(corpus["names"].split("\n")),
            score_quantiles=Quantiles(payload["score_quantiles"].tolist()),
            capitalized=bool(payload["capitalized"]),
            max_len=int(payload["max_len"]),
            metrics=dict(payload["metrics"]),
            description=str(payload.get("description", "")),
            neutral=None if payload.get("neutral") is None else int(payload["neutral"]),
            voice=_voice(payload.get("voice")),
        )
    except (KeyError, TypeError, ValueError, RuntimeError, AttributeError) as exc:
        raise CheckpointError(f"{path.name}: the checkpoint is incomplete or inconsistent") from exc


def _voice(raw: object) -> Voice | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("style_vec"), torch.Tensor):
        raise TypeError("voice")
    return Voice(raw["style_vec"].float(), str(raw["base"]))
