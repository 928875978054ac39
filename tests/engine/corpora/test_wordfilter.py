from __future__ import annotations

import pytest

from engine.corpora import corpus
from engine.corpora.wordfilter import MIN_DICTIONARY_WORDS, WordFilter, fold
from engine.serving.sampling import GenerationRequest, generate, generate_many
from engine.serving.trained import NameModel

WORDS = WordFilter.default()


@pytest.mark.parametrize(
    ("name", "term"),
    [
        ("Penis", "penis"),  # the maintained list (glin-profanity), not ours
        ("Fück", "fuck"),  # accents folded
        ("Fuckwin", "*fuck*"),  # inside a longer name
        ("Fuuuck", "*fuck*"),  # doubled letters squeezed
        ("Shitavar", "shit*"),  # at the start of a part
        ("Mary-Coon", "coon"),  # a part of a hyphenated name
        ("Piece Of Shit", "shit"),
        ("NAZI", "nazi"),
        ("Пиздюк", "*пизд*"),  # Cyrillic
    ],
)
def test_offensive_names_are_blocked(name: str, term: str) -> None:
    assert WORDS.match(name) == term


@pytest.mark.parametrize(
    "name",
    [
        "Cassandra", "Cumberbatch", "Cockburn", "Yoshitaka", "Nazira", "Analise", "Dickens",
        "Titus", "Sextus", "Hancock", "Slutsky", "Wankel", "Bonner", "Van Dyke", "Essex",
        "Pissarro", "Dick", "Butt", "Assa", "Shiloh", "Hitt",
    ],
)  # fmt: skip
def test_harmless_real_names_pass(name: str) -> None:
    assert WORDS.match(name) is None


def test_every_english_first_name_passes(english: corpus.Corpus) -> None:
    names = english.names
    assert [n for n in names if WORDS.blocks(n)] == []


@pytest.mark.parametrize(
    ("style", "blocked"),
    [
        ("surnames", {"Coon", "Coons", "Boner", "Rape"}),
        ("elf", {"Penis"}),
        ("goblin", {"Nazi"}),
        ("spanish", {"Kike"}),  # a Spanish pet form of Enrique, and an English slur
        ("russian", set()),
        ("russian-surnames", set()),
        ("german", set()),
        ("icelandic", set()),
        ("towns", set()),
        ("dwarf", set()),
        ("halfling", set()),
        ("human", set()),
    ],
)
def test_only_these_corpus_names_are_blocked(style: str, blocked: set[str]) -> None:
    assert {n for n in corpus.load(style).names if WORDS.blocks(n)} == blocked


def test_the_maintained_list_is_loaded() -> None:
    assert len(WORDS.words) > MIN_DICTIONARY_WORDS


@pytest.mark.parametrize(
    ("prefix", "doomed"),
    [("Fuck", True), ("Shit", True), ("Ass", False), ("Ass-", True), ("Mary Coon ", True)],
)
def test_a_prefix_dooms_its_names_only_when_no_continuation_can_pass(
    prefix: str, doomed: bool
) -> None:
    assert (WORDS.dooms(prefix) is not None) is doomed


def test_fold_removes_case_and_accents() -> None:
    assert fold("Þórunn Zoë") == "þorunn zoe"


def test_a_blocked_prefix_gives_no_names_and_says_why(tiny_model: NameModel) -> None:
    res = generate(tiny_model, GenerationRequest(prefix="Shit", count=5, seed=1))
    assert res.names == ()
    assert res.note == "no names that start with 'Shit': the word filter withholds them"


def test_blocked_candidates_are_drawn_again_and_counted(tiny_model: NameModel) -> None:
    # A list that blocks every name with an "n" in it: the names found have none.
    words = WordFilter.from_terms(["*n*"])
    (res,) = generate_many(tiny_model, [GenerationRequest(count=20)], seed=4, words=words)
    assert len(res.names) == 20
    assert res.filtered > 0
    assert not [n for n in res.names if "n" in n.casefold()]


def test_the_filter_can_be_relaxed(tiny_model: NameModel) -> None:
    words = WordFilter.from_terms(["ann*"])
    request = GenerationRequest(prefix="Ann", count=5, filter=False)
    (res,) = generate_many(tiny_model, [request], seed=4, words=words)
    assert len(res.names) == 5
    assert res.filtered == 0
