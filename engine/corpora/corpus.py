"""Lists of names to learn from: the built-in corpora shipped by PyPI packages, or a user's file.

Cleaning is explicit: trim, NFC-normalise, drop blanks, duplicates, lines with control characters
and lines longer than `MAX_NAME_LEN`. What was dropped is counted in the `CleaningReport`.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from engine.corpora.sources import BUILTIN
from engine.errors import CorpusError

MAX_NAME_LEN = 32
MIN_NAMES = 50
MAX_FILE_BYTES = 8 * 1024 * 1024
UPLOAD_MAX_BYTES = 2 * 1024 * 1024  # a names file sent from chat to retrain a style


@dataclass(frozen=True, slots=True)
class CleaningReport:
    kept: int
    blank: int = 0
    duplicate: int = 0
    too_long: int = 0
    bad_chars: int = 0

    def summary(self) -> str:
        dropped = [
            f"{n} {what}"
            for n, what in (
                (self.duplicate, "duplicates"),
                (self.too_long, f"longer than {MAX_NAME_LEN} characters"),
                (self.bad_chars, "with control characters"),
                (self.blank, "blank"),
            )
            if n
        ]
        return f"{self.kept} names" + (f" (dropped {', '.join(dropped)})" if dropped else "")


@dataclass(frozen=True, slots=True)
class Corpus:
    """Clean names, each with a label index into `labels` (0 everywhere when unlabelled)."""

    name: str
    names: tuple[str, ...]
    label_ids: tuple[int, ...]
    labels: tuple[str, ...]
    report: CleaningReport

    def __len__(self) -> int:
        return len(self.names)

    @property
    def fingerprint(self) -> str:
        """sha256 of the cleaned content: two corpora with the same names and labels match."""
        h = hashlib.sha256()
        for name, lab in zip(self.names, self.label_ids, strict=True):
            h.update(f"{name}\t{self.labels[lab] if self.labels else ''}\n".encode())
        return h.hexdigest()

    def label_prior(self) -> list[float]:
        """Share of each label in the corpus (one entry `[1.0]` when unlabelled)."""
        counts = Counter(self.label_ids)
        n_labels = max(1, len(self.labels))
        return [counts.get(i, 0) / len(self.names) for i in range(n_labels)]


def clean(
    name: str,
    pairs: Iterable[tuple[str, str]],
    *,
    min_names: int = MIN_NAMES,
    keep_duplicates: bool = False,
) -> Corpus:
    """Build a corpus from raw (name, label) pairs; label "" means unlabelled.
    `keep_duplicates` keeps repeated lines (a test set scores each line it has)."""
    seen: set[tuple[str, str]] = set()
    kept: list[tuple[str, str]] = []
    blank = duplicate = too_long = bad_chars = 0
    for raw_name, raw_label in pairs:
        text = unicodedata.normalize("NFC", " ".join(raw_name.split()))
        label = raw_label.strip().lower()
        if not text:
            blank += 1
        elif any(unicodedata.category(c).startswith("C") for c in text):
            bad_chars += 1
        elif len(text) > MAX_NAME_LEN:
            too_long += 1
        elif (text, label) in seen and not keep_duplicates:
            duplicate += 1
        else:
            seen.add((text, label))
            kept.append((text, label))
    report = CleaningReport(len(kept), blank, duplicate, too_long, bad_chars)
    if len(kept) < min_names:
        raise CorpusError(
            f"{name}: only {len(kept)} usable names after cleaning ({report.summary()}); "
            f"at least {min_names} are needed to learn from"
        )
    labels = sorted({lab for _, lab in kept})
    if labels == [""]:
        labels = []
    elif "" in labels:
        raise CorpusError(
            f"{name}: some names have a label and some do not; "
            "give every line as name<TAB>label, or none"
        )
    index = {lab: i for i, lab in enumerate(labels)}
    return Corpus(
        name=name,
        names=tuple(n for n, _ in kept),
        label_ids=tuple(index.get(lab, 0) for _, lab in kept),
        labels=tuple(labels),
        report=report,
    )


def read_file(path: str | Path, *, min_names: int = MIN_NAMES) -> Corpus:
    """A UTF-8 text file with one name per line, optionally `name<TAB>label`."""
    p = Path(path)
    label = p.name
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise CorpusError(
                f"{label}: the file is {size / 2**20:.1f} MB; the limit is "
                f"{MAX_FILE_BYTES // 2**20} MB"
            )
        data = p.read_bytes()
    except OSError as exc:
        raise CorpusError(f"{label}: cannot read the file ({exc.strerror})") from exc
    return parse_bytes(label, data, min_names=min_names)


def load_upload(
    label: str, data: bytes, *, max_bytes: int = UPLOAD_MAX_BYTES, min_names: int = MIN_NAMES
) -> Corpus:
    """Validate and parse a names file sent from chat, before any training: at most `max_bytes`,
    UTF-8 text, no name longer than MAX_NAME_LEN (refused with its line number rather than
    dropped), at least `min_names` distinct names after cleaning."""
    if len(data) > max_bytes:
        size, limit = len(data) / 2**20, max_bytes / 2**20
        raise CorpusError(f"{label}: the file is {size:.1f} MB; the limit is {limit:g} MB")
    return parse_bytes(label, data, min_names=min_names, max_line=MAX_NAME_LEN)


def parse_bytes(
    label: str, data: bytes, *, min_names: int = MIN_NAMES, max_line: int | None = None
) -> Corpus:
    """Parse the bytes of an uploaded names file (see `read_file`). With `max_line`, a name
    longer than that is an error naming its line instead of a line dropped by cleaning."""
    if not data.strip():
        raise CorpusError(f"{label}: the file is empty; give one name per line")
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise CorpusError(
            f"{label}: this is not a text file (a NUL byte on line {line}); "
            "give a UTF-8 text file with one name per line"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise CorpusError(
            f"{label}: line {line} is not valid UTF-8 (byte {data[exc.start]:#04x}); "
            "save the file as UTF-8"
        ) from exc
    pairs: list[tuple[str, str]] = []
    for number, row in enumerate(text.splitlines(), 1):
        nm, _, lab = row.partition("\t")
        length = len(" ".join(nm.split()))
        if max_line is not None and length > max_line:
            raise CorpusError(
                f"{label}: line {number} is {length:,} characters long; "
                f"a name may have at most {max_line}"
            )
        pairs.append((nm, lab))
    return clean(label, pairs, min_names=min_names)


def load(source: str, *, min_names: int = MIN_NAMES) -> Corpus:
    """A built-in corpus by name, else a path to a names file."""
    if source in BUILTIN:
        return clean(source, BUILTIN[source][1](), min_names=min_names)
    if Path(source).exists():
        return read_file(source, min_names=min_names)
    raise CorpusError(
        f"unknown corpus {source!r}: give a file of names or one of {', '.join(BUILTIN)}"
    )
