from __future__ import annotations

import pytest

from engine.errors import RequestError
from engine.serving import scoring
from engine.serving.trained import NameModel


def test_a_real_name_beats_a_keyboard_mash(tiny_model: NameModel) -> None:
    real = scoring.score(tiny_model, "Margaret")
    mash = scoring.score(tiny_model, "Xqzkvjw")
    assert real.in_corpus and not mash.in_corpus
    assert real.loglik_per_token > mash.loglik_per_token
    assert real.percentile > 20
    assert mash.percentile < 5
    assert 0 <= mash.percentile <= real.percentile <= 100


def test_typed_lowercase_is_read_as_written(tiny_model: NameModel) -> None:
    assert scoring.score(tiny_model, "margaret").name == "Margaret"


def test_the_mixture_over_labels_is_at_least_as_likely_as_the_weaker_label(
    tiny_model: NameModel,
) -> None:
    any_label = scoring.score(tiny_model, "Margaret").loglik_per_token
    f = scoring.score(tiny_model, "Margaret", "female").loglik_per_token
    m = scoring.score(tiny_model, "Margaret", "male").loglik_per_token
    assert min(f, m) <= any_label <= max(f, m)


def test_corpus_quantiles_are_sorted(tiny_model: NameModel) -> None:
    q = tiny_model.score_quantiles
    assert len(q) == scoring.N_QUANTILES
    assert list(q) == sorted(q)


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "give a name"), ("A" * 40, "limit is 32")],
)
def test_bad_names(tiny_model: NameModel, name: str, message: str) -> None:
    with pytest.raises(RequestError, match=message):
        scoring.score(tiny_model, name)


@pytest.mark.parametrize(
    ("name", "unknown", "note"),
    [
        ("Zoë☃", ("ë", "☃"), "the english style never uses ë or ☃"),
        ("Mary Jane", (" ",), "the english style never uses a space"),
        ("Erevañ", ("ñ",), "the english style never uses ñ"),
    ],
)
def test_letters_the_style_never_uses_score_zero_and_are_named(
    tiny_model: NameModel, name: str, unknown: tuple[str, ...], note: str
) -> None:
    s = scoring.score(tiny_model, name)
    assert s.percentile == 0.0
    assert s.loglik_per_token == float("-inf")
    assert not s.in_corpus
    assert s.unknown_letters == unknown
    assert s.note == note


def test_a_name_the_style_can_spell_has_no_note(tiny_model: NameModel) -> None:
    s = scoring.score(tiny_model, "Xqzkvjw")
    assert s.unknown_letters == ()
    assert s.note is None
