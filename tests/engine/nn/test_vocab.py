from __future__ import annotations

import pytest

from engine.nn.vocab import BOS, EOS, N_SPECIAL, PAD, Vocabulary, describe_chars


def test_ids_start_after_the_special_tokens() -> None:
    v = Vocabulary.from_names(["Anna", "Bob"])
    assert {PAD, BOS, EOS} == set(range(N_SPECIAL))
    assert min(v.encode("AnBbo")) == N_SPECIAL
    assert len(v) == len("ABabno") + N_SPECIAL


@pytest.mark.parametrize("text", ["Anna", "Ёлка", "Zoë", "O'Neil-Ávila", "李"])
def test_encode_decode_round_trip(text: str) -> None:
    v = Vocabulary.from_names([text])
    assert v.decode(v.encode(text)) == text


def test_decode_skips_special_tokens() -> None:
    v = Vocabulary.from_names(["ab"])
    assert v.decode([BOS, *v.encode("ab"), EOS, PAD]) == "ab"


def test_unknown_lists_each_missing_character_once_in_order() -> None:
    v = Vocabulary.from_names(["abc"])
    assert v.unknown("xaYxz") == ["x", "Y", "z"]


@pytest.mark.parametrize(
    ("chars", "expected"),
    [
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "A–Z"),
        ("abcxyz'-", "', -, a–c and x–z"),
        ("ab", "a and b"),
        ("a", "a"),
        (" ab", "space, a and b"),
    ],
)
def test_describe_folds_runs_into_ranges(chars: str, expected: str) -> None:
    assert describe_chars(chars) == expected
