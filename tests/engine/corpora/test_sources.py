"""Where the built-in corpora come from: forty-odd cultures from faker's locales, the tabletop
races from dnd-name-generator and pynames, each list honest about what it is."""

from __future__ import annotations

import os
import subprocess
import sys
import unicodedata

import pytest

from engine.corpora import corpus, sources
from engine.corpora.recipes import FAMILY, STYLES

FIRST_CULTURES = ("english", "german", "french", "spanish", "italian", "icelandic", "russian")
MIN_CULTURE_NAMES = 200  # the floor for a culture, and for its family names


def test_at_least_forty_cultures_each_with_two_hundred_names() -> None:
    cultures = [*FIRST_CULTURES, *(c.style for c in sources.CULTURES)]
    assert len(set(cultures)) >= 40
    for c in sources.CULTURES:
        assert c.style in STYLES and c.style in sources.BUILTIN
        assert len(set(corpus.load(c.style).names)) >= MIN_CULTURE_NAMES, c.style


@pytest.mark.parametrize("culture", [c for c in sources.CULTURES if c.surnames], ids=str)
def test_a_culture_with_family_names_gives_them_to_its_full_names(
    culture: sources.Culture,
) -> None:
    family = f"{culture.style}-surnames"
    assert FAMILY[culture.style] == family and family in STYLES
    assert len(set(corpus.load(family).names)) >= MIN_CULTURE_NAMES


@pytest.mark.parametrize(
    ("style", "script", "example"),
    [
        ("greek", "GREEK", "Άννα"),
        ("hebrew", "HEBREW", "אביב"),
        ("hindi", "DEVANAGARI", "अंकिता"),
        ("thai", "THAI", "กวาง"),
        ("georgian", "GEORGIAN", "აიდა"),
        ("turkish", "LATIN", "Şükri"),
    ],
)
def test_a_culture_keeps_its_own_script_and_says_so(style: str, script: str, example: str) -> None:
    c = corpus.load(style)
    assert example in c.names and c.labels == ("female", "male")
    letters = {ch for name in c.names for ch in name if ch.isalpha()}
    assert all(script in unicodedata.name(ch) for ch in letters)
    description = sources.BUILTIN[style][0]
    assert script == "LATIN" or "script" in description or "Devanagari" in description


def test_a_romanised_culture_is_written_as_names_are() -> None:
    c = corpus.load("chinese")
    assert len(c) >= MIN_CULTURE_NAMES and c.labels == ()
    assert "Chia-Hao" in c.names and "I-Chun" in c.names  # faker's "CHIA-HAO"
    assert "romanised" in sources.BUILTIN["chinese"][0]


def test_the_pool_races_are_every_name_their_pools_make() -> None:
    from dnd_name_generator.engine import DATA

    for style, race in (("orc", "Orc"), ("tiefling", "Tiefling"), ("dragonborn", "Dragonborn")):
        c = corpus.load(style)
        assert c.labels == ("female", "male")
        pools = DATA[race]["m"]
        made = {
            (a + b + e).capitalize()
            for a in pools["start"]
            for b in pools["mid"]
            for e in pools["end"]
        }
        male = {n for n, lab in zip(c.names, c.label_ids, strict=True) if c.labels[lab] == "male"}
        assert male == made
        assert "every name dnd-name-generator" in sources.BUILTIN[style][0]
    assert "Grishgagar" in corpus.load("orc").names


def test_rulebook_elves_are_drawn_from_pynames_tables_the_same_way_every_time() -> None:
    c = corpus.load("dnd-elf")
    assert c.labels == ("female", "male") and len(c) > 2500
    assert all(name[0].isupper() for name in c.names)


# faker builds some lists from sets, and pynames' tables are drawn at random: each corpus reads
# them sorted or seeded, so its names do not follow the process's hash seed.
@pytest.mark.parametrize("style", ["towns", "dnd-elf", "turkish", "greek-surnames", "kenyan"])
def test_builtin_corpora_are_the_same_in_every_process(style: str) -> None:
    code = f"from engine.corpora import corpus; print(corpus.load({style!r}).fingerprint)"
    prints = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert prints == {corpus.load(style).fingerprint + "\n"}


@pytest.mark.parametrize(
    ("name", "ok"),
    [("अंकिता", True), ("กนกเนตร", True), ("אבו טיר", True), ("Άννα", True), ("ा", False)],
)
def test_proper_reads_scripts_without_capitals(name: str, ok: bool) -> None:
    assert sources.proper(name) is ok


def test_the_short_list_benchmark_locale_is_not_shipped() -> None:
    assert "zu_ZA" not in sources.shipped_locales()
    assert {"sv_SE", "el_GR", "en"} <= sources.shipped_locales()


def test_every_built_in_corpus_names_its_package_and_licence() -> None:
    expected = {
        **{c.style: "faker" for c in sources.CULTURES},
        **{f"{c.style}-surnames": "faker" for c in sources.CULTURES if c.surnames},
        **dict.fromkeys(sources.ANCESTRIES, "wyrdbound-rng"),
        **dict.fromkeys(("orc", "tiefling", "dragonborn"), "dnd-name-generator"),
        "dnd-elf": "pynames",
        "surnames": "names",
        **dict.fromkeys(("english", "towns", "icelandic", "icelandic-patronymics"), "faker"),
        **{f"{c}{s}": "faker" for c in ("french", "german", "italian", "russian", "spanish")
           for s in ("", "-surnames")},
    }  # fmt: skip
    assert set(expected) == set(sources.BUILTIN)
    for name in sources.BUILTIN:
        assert sources.source_of(name) == expected[name], name
        assert sources.LICENCES[sources.source_of(name)] in ("MIT", "BSD-3-Clause")
    assert sources.shipped_source("elf", sources.BUILTIN["elf"][0]) == "wyrdbound-rng"
    assert sources.shipped_source("elf", "a user's list of elves") is None
