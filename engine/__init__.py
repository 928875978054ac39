"""The CharRNN that invents names: corpora, vocabulary, model, training, sampling, checkpoints.

Imports torch, numpy and the standard library only; never `bot`, `storage` or a chat SDK.
Rooms, each importing only those below it (pyproject.toml's import contracts hold this):
`retraining` > `serving` > `corpora` | `nn`; `cli` and `make_models` are the entry points.
"""

from engine.errors import (
    CheckpointError,
    CorpusError,
    EngineError,
    NothingToRollBack,
    RequestError,
    RetrainError,
    TrainingBusy,
    UnknownStyle,
)

__all__ = [
    "CheckpointError",
    "CorpusError",
    "EngineError",
    "NothingToRollBack",
    "RequestError",
    "RetrainError",
    "TrainingBusy",
    "UnknownStyle",
]
