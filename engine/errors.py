"""Domain errors: their message is safe and useful to show to a user as it is."""

import difflib


class EngineError(Exception):
    """Base of every error the engine raises on purpose; `str(err)` is a friendly message."""


class CorpusError(EngineError):
    """A list of names that cannot be used for training (empty, binary, bad encoding, ...)."""


class CheckpointError(EngineError):
    """A checkpoint file that is missing, damaged, foreign or written by a newer Namesmith."""


class RequestError(EngineError):
    """A generation or scoring request whose parameters cannot be honoured."""


class UnknownStyle(RequestError):
    """A style name that no loaded model answers to."""

    LISTED = 12  # with more known styles than this, the message points to the list instead

    def __init__(self, style: str, known: list[str]) -> None:
        self.style = style
        self.known = sorted(known)
        close = difflib.get_close_matches(style.casefold(), self.known, n=3, cutoff=0.6)
        hint = f" (did you mean {' or '.join(close)}?)" if close else ""
        if len(self.known) <= self.LISTED:
            listing = f"known styles: {', '.join(self.known)}"
        else:
            listing = f"the styles command lists all {len(self.known)}"
        super().__init__(f"unknown style {style[:32]!r}{hint}; {listing}")


class RetrainError(EngineError):
    """A retrain, adoption or rollback that cannot be done as asked."""


class TrainingBusy(RetrainError):
    """A training was asked for while another one runs; the message says which and how far."""


class NothingToRollBack(RetrainError):
    """A rollback of a style that has no earlier model kept."""

    def __init__(self, style: str) -> None:
        self.style = style
        super().__init__(f"nothing to roll back for {style}: no earlier model is kept")
