from __future__ import annotations

from pathlib import Path

import pytest

from engine.corpora import corpus, sources
from engine.errors import CorpusError


def _lines(n: int, stem: str = "Name") -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return "\n".join(f"{stem}{letters[i % 26]}{letters[i // 26 % 26]}" for i in range(n)) + "\n"


def test_english_has_both_genders() -> None:
    c = corpus.load("english")
    assert c.labels == ("female", "male")
    assert len(c) > 5000
    assert set(c.label_ids) == {0, 1}
    assert "Abigail" in c.names


def test_surnames_are_title_case_and_unlabelled() -> None:
    c = corpus.load("surnames")
    assert c.labels == ()
    assert c.names[0] == "Smith"
    assert len(c) == sources.SURNAMES_TOP


@pytest.mark.parametrize("ancestry", sources.ANCESTRIES)
def test_fantasy_ancestries_load_with_genders(ancestry: str) -> None:
    c = corpus.load(ancestry)
    assert c.labels == ("female", "male")
    assert len(c) > 500


def test_cleaning_trims_and_counts_what_it_dropped() -> None:
    raw = [("  Anna ", ""), ("Anna", ""), ("", ""), ("x" * 40, ""), ("Bad\x07", "")]
    raw += [(f"N{i:03d}", "") for i in range(60)]
    c = corpus.clean("t", raw)
    assert c.names[0] == "Anna"
    assert (c.report.duplicate, c.report.blank, c.report.too_long, c.report.bad_chars) == (
        1,
        1,
        1,
        1,
    )
    assert c.report.kept == 61


def test_same_name_with_two_labels_is_kept_twice() -> None:
    raw = [("Alex", "male"), ("Alex", "female")] + [(f"N{i:03d}", "male") for i in range(60)]
    c = corpus.clean("t", raw)
    assert c.names.count("Alex") == 2


def test_file_with_labels(tmp_path: Path) -> None:
    p = tmp_path / "names.txt"
    p.write_text("".join(f"Name{i}\t{'F' if i % 2 else 'm'}\n" for i in range(80)))
    c = corpus.read_file(p)
    assert c.labels == ("f", "m")


def test_cyrillic_and_bom(tmp_path: Path) -> None:
    p = tmp_path / "ru.txt"
    p.write_bytes("\ufeff".encode() + _lines(60, "Иван").encode())
    c = corpus.read_file(p)
    assert c.names[0].startswith("Иван")


def test_fingerprint_depends_on_content_only() -> None:
    a = corpus.parse_bytes("a", _lines(60).encode())
    b = corpus.parse_bytes("b", _lines(60).encode())
    c = corpus.parse_bytes("c", _lines(61).encode())
    assert a.fingerprint == b.fingerprint != c.fingerprint


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"Anna\nBob\n", "only 2 usable names"),
        (_lines(60).encode() + b"\x00\x01binary", "not a text file (a NUL byte on line 61)"),
        (_lines(3).encode() + b"Ren\xe9\n", "line 4 is not valid UTF-8"),
        (_lines(60).encode() + b"Lone\tf\n", "some names have a label and some do not"),
    ],
)
def test_bad_files_get_a_clear_error(data: bytes, message: str) -> None:
    with pytest.raises(CorpusError, match=message.replace("(", r"\(").replace(")", r"\)")):
        corpus.parse_bytes("upload.txt", data)


def test_huge_file_is_refused_before_reading(tmp_path: Path) -> None:
    p = tmp_path / "huge.txt"
    with p.open("wb") as f:
        f.truncate(corpus.MAX_FILE_BYTES + 1)
    with pytest.raises(CorpusError, match="the limit is 8 MB"):
        corpus.read_file(p)


def test_unknown_corpus_lists_the_built_in_ones() -> None:
    with pytest.raises(CorpusError, match="english, surnames, elf"):
        corpus.load("klingon")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (bytes(range(256)) * 10, "not a text file"),
        (b"A" * (10 * 2**20), "the file is 10.0 MB; the limit is 2 MB"),
        (b"Anna\nBob\nCleo\n", "only 3 usable names"),
        (
            _lines(60).encode("latin-1") + "Ren\xe9\n".encode("latin-1"),
            "line 61 is not valid UTF-8",
        ),
        (_lines(10).encode() + b"x" * 5000 + b"\n" + _lines(60).encode(), "line 11 is 5,000"),
        (_lines(60).encode() + b"Abcdefghijklmnopqrstuvwxyzabcdefg\n", "line 61 is 33 characters"),
    ],
)
def test_bad_uploads_are_refused_with_the_reason(data: bytes, message: str) -> None:
    with pytest.raises(CorpusError, match=message):
        corpus.load_upload("upload.txt", data)


def test_a_good_upload_is_a_corpus() -> None:
    c = corpus.load_upload("upload.txt", _lines(60).encode() + b"Name with spaces  \n")
    assert len(c) == 61
    assert "Name with spaces" in c.names


@pytest.mark.parametrize(
    ("source", "labels", "example"),
    [
        ("russian", ("female", "male"), "Татьяна"),
        ("russian-surnames", ("female", "male"), "Павлова"),
        ("german", ("female", "male"), "Ann-Kathrin"),
        ("spanish", ("female", "male"), "Ana Belén"),
        ("icelandic", ("female", "male"), "Sólfríður"),
        ("icelandic-patronymics", ("female", "male"), "Jónsdóttir"),
        ("french-surnames", (), "Leroy"),
        ("towns", tuple(sorted(sources.TOWN_LISTS)), "Kladno"),
    ],
)
def test_more_cultures_keep_their_letters_and_labels(
    source: str, labels: tuple[str, ...], example: str
) -> None:
    c = corpus.load(source)
    assert c.labels == labels
    assert example in c.names
    assert source in sources.BUILTIN and sources.BUILTIN[source][0]


@pytest.mark.parametrize(
    ("name", "particles", "ok"),
    [
        ("Ann-Kathrin", False, True),
        ("Ana Belén", False, True),
        ("Sant'Elia", False, True),
        ("Hans D.", False, False),
        ("Koch II", False, False),
        ("auch Schlauchin", False, False),
        ("Dussen van", False, False),
        ("Bakov nad Jizerou", True, True),
        ("de Hoef", True, False),
        ("2e Exloërmond", True, False),
    ],
)
def test_proper_names_only_from_faker_lists(name: str, particles: bool, ok: bool) -> None:
    assert sources.proper(name, particles=particles) is ok
