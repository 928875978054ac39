"""The CharRNN that invents names: corpora, vocabulary, model, training, sampling, checkpoints.

Imports torch, numpy and the standard library only; never `bot`, `storage` or a chat SDK.
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
