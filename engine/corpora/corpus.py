"""Lists of names to learn from: the built-in corpora shipped by PyPI packages, or a user's file.

Cleaning is explicit: trim, NFC-normalise, drop blanks, duplicates, lines with control characters
and lines longer than `MAX_NAME_LEN`. What was dropped is counted in the `CleaningReport`.
"""

from __future__ import annotations

import hashlib
import importlib
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from engine.errors import CorpusError

MAX_NAME_LEN = 32
MIN_NAMES = 50
MAX_FILE_BYTES = 8 * 1024 * 1024
UPLOAD_MAX_BYTES = 2 * 1024 * 1024  # a names file sent from chat to retrain a style
SURNAMES_TOP = 20_000
FANTASY_ANCESTRIES = ("elf", "dwarf", "halfling", "goblin", "human")


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


# --- built-in corpora: read from the data files of installed PyPI packages -------------------


def _english() -> Iterable[tuple[str, str]]:
    from faker.providers.person.en import Provider

    yield from ((n, "female") for n in Provider.first_names_female)
    yield from ((n, "male") for n in Provider.first_names_male)


def _surnames() -> Iterable[tuple[str, str]]:
    # names' census file: "SMITH   1.006  1.006  1", most frequent first.
    text = resources.files("names").joinpath("dist.all.last").read_text("ascii")
    for line in text.splitlines()[:SURNAMES_TOP]:
        if line.strip():
            yield line.split()[0].title(), ""


def _ancestry(ancestry: str) -> Callable[[], Iterable[tuple[str, str]]]:
    def load() -> Iterable[tuple[str, str]]:
        data = resources.files("wyrdbound_rng").joinpath("data")
        for gender in ("female", "male"):
            doc = yaml.safe_load(data.joinpath(f"ancestry-{ancestry}-{gender}.yaml").read_text())
            yield from ((str(n), gender) for n in doc["names"])

    return load


_WORDS = re.compile(r"[ \-']")


def proper(name: str, *, particles: bool = False) -> bool:
    """A name of capitalised words ("Ana Belén", "Ann-Kathrin", "Sant'Elia"), with lowercase
    particles after the first word when `particles` ("Bakov nad Jizerou"). Filters faker's
    lists, which also hold initials ("Hans D."), numerals ("Koch II") and notes ("auch ...")."""
    words = _WORDS.split(name)
    return all(
        w.isalpha()
        and ((len(w) > 1 and w == w.capitalize()) or (particles and i > 0 and w.islower()))
        for i, w in enumerate(words)
    )


def _faker_first(locale: str) -> Callable[[], Iterable[tuple[str, str]]]:
    def load() -> Iterable[tuple[str, str]]:
        people = importlib.import_module(f"faker.providers.person.{locale}").Provider
        yield from ((n, "female") for n in people.first_names_female if proper(n))
        yield from ((n, "male") for n in people.first_names_male if proper(n))

    return load


def _faker_last(locale: str) -> Callable[[], Iterable[tuple[str, str]]]:
    """Family names; by gender where the language has gendered forms (Павлов, Павлова)."""

    def load() -> Iterable[tuple[str, str]]:
        people = importlib.import_module(f"faker.providers.person.{locale}").Provider
        if hasattr(people, "last_names_female"):
            yield from ((n, "female") for n in people.last_names_female if proper(n))
            yield from ((n, "male") for n in people.last_names_male if proper(n))
        else:
            yield from ((n, "") for n in people.last_names if proper(n))

    return load


def _icelandic_patronymics() -> Iterable[tuple[str, str]]:
    # faker's is_IS holds fathers' names in the genitive ("Jóns", "Sigurðar"); a patronymic
    # adds -son for a son and -dóttir for a daughter.
    from faker.providers.person.is_IS import Provider

    for stem in Provider.last_names_without_suffix:
        yield f"{stem}dóttir", "female"
        yield f"{stem}son", "male"


TOWN_LISTS = {  # label: faker address providers whose town list it takes
    "czech": ("cs_CZ",),
    "danish": ("da_DK",),
    "dutch": ("nl_NL",),
    "finnish": ("fi_FI",),
    "german": ("de_DE", "de_AT", "de_CH"),
    "italian": ("it_IT",),
    "polish": ("pl_PL",),
}
TOWNS_PER_COUNTRY = 2000  # Italy's 16,559 would drown the rest


def _towns() -> Iterable[tuple[str, str]]:
    for label, locales in TOWN_LISTS.items():
        towns: list[str] = []
        for locale in locales:
            towns += importlib.import_module(f"faker.providers.address.{locale}").Provider.cities
        towns = sorted(set(towns))  # faker builds Italy's list from a set: its order varies
        step = max(1, -(-len(towns) // TOWNS_PER_COUNTRY))  # every step-th: spread, repeatable
        yield from ((t, label) for t in towns[::step] if proper(t, particles=True))


BUILTIN: dict[str, tuple[str, Callable[[], Iterable[tuple[str, str]]]]] = {
    "english": ("English first names by gender (faker's en lists)", _english),
    "surnames": (f"English surnames (the {SURNAMES_TOP:,} commonest US census names)", _surnames),
    "elf": (
        "Fantasy elves in a Welsh/Brythonic register: compounds of Welsh name elements and names "
        "from the Mabinogion (wyrdbound-rng)",
        _ancestry("elf"),
    ),
    "dwarf": (
        "Fantasy dwarves in an Old Norse register: Norse name compounds, saga names and the "
        "Dvergatal of the Poetic Edda (wyrdbound-rng)",
        _ancestry("dwarf"),
    ),
    "human": (
        "Fantasy humans in a Frankish/Norman register: medieval Western European compounds and "
        "Latin-Christian names (wyrdbound-rng)",
        _ancestry("human"),
    ),
    "halfling": (
        "Fantasy halflings as medieval English pet-forms and diminutives (-kin, -ot, -et, -ie) "
        "from manorial and poll-tax rolls (wyrdbound-rng)",
        _ancestry("halfling"),
    ),
    "goblin": (
        "Fantasy goblins: an invented harsh phonology with no real-world source (wyrdbound-rng)",
        _ancestry("goblin"),
    ),
    "russian": (
        "Russian first names by gender, in Cyrillic (faker's ru_RU lists; only 401 names, so "
        "inventions are rougher)",
        _faker_first("ru_RU"),
    ),
    "russian-surnames": (
        "Russian family names in their female and male forms, in Cyrillic (faker's ru_RU lists)",
        _faker_last("ru_RU"),
    ),
    "german": (
        "First names given in Germany by gender, immigrant names included (faker's de_DE lists)",
        _faker_first("de_DE"),
    ),
    "german-surnames": ("German family names (faker's de_DE list)", _faker_last("de_DE")),
    "french": (
        "French first names by gender (faker's fr_FR lists; only 215 names, so inventions "
        "are rougher)",
        _faker_first("fr_FR"),
    ),
    "french-surnames": ("French family names (faker's fr_FR list)", _faker_last("fr_FR")),
    "spanish": (
        "Spanish first names by gender, compound names included (faker's es_ES lists)",
        _faker_first("es_ES"),
    ),
    "spanish-surnames": ("Spanish family names (faker's es_ES list)", _faker_last("es_ES")),
    "italian": (
        "Italian first names by gender (faker's it_IT lists; 458 names)",
        _faker_first("it_IT"),
    ),
    "italian-surnames": ("Italian family names (faker's it_IT list)", _faker_last("it_IT")),
    "icelandic": (
        "Icelandic first names by gender, from the official register's stock (faker's is_IS lists)",
        _faker_first("is_IS"),
    ),
    "icelandic-patronymics": (
        "Icelandic patronymics: a father's name + -son or -dóttir (faker's is_IS list)",
        _icelandic_patronymics,
    ),
    "towns": (
        "Real town and village names of seven European countries, by country "
        "(faker's address lists)",
        _towns,
    ),
}


def load(source: str, *, min_names: int = MIN_NAMES) -> Corpus:
    """A built-in corpus by name, else a path to a names file."""
    if source in BUILTIN:
        return clean(source, BUILTIN[source][1](), min_names=min_names)
    if Path(source).exists():
        return read_file(source, min_names=min_names)
    raise CorpusError(
        f"unknown corpus {source!r}: give a file of names or one of {', '.join(BUILTIN)}"
    )
