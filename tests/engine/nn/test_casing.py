from __future__ import annotations

import pytest
import torch

from engine.nn.casing import CaseMask, CaseRules, transitions
from engine.nn.vocab import EOS, N_SPECIAL, Vocabulary
from engine.serving.sampling import GenerationRequest, generate, sample_rows
from engine.serving.trained import NameModel

RULES = CaseRules.from_names(["Anna", "Mary-Jane", "Bo"])


def test_transitions_include_the_start_and_the_end() -> None:
    assert transitions("Mary-Jane") == [
        ("^", "A"), ("A", "a"), ("a", "a"), ("a", "a"), ("a", "-"), ("-", "A"), ("A", "a"),
        ("a", "a"), ("a", "a"), ("a", "$"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "broken"),
    [
        ("Anna", []),
        ("Jo-Bo", []),
        ("aulel", [("^", "a")]),
        ("MaMvine", [("a", "A")]),
        ("HGrd", [("A", "A")]),
        ("Mary-jane", [("-", "a")]),
        ("A", [("A", "$")]),
        ("Ann'a", [("a", "'"), ("'", "a")]),
    ],
)
def test_broken_names_the_transitions_the_corpus_never_has(
    name: str, broken: list[tuple[str, str]]
) -> None:
    assert RULES.broken(name) == broken


def test_letters_of_a_script_without_capitals_are_one_class() -> None:
    # Each Hebrew or Thai letter is not a class of its own: its names' casing is "a" throughout.
    rules = CaseRules.from_names(["אביב", "กวาง", "अंकिता"])
    assert rules.allowed == {("^", "a"), ("a", "a"), ("a", "$")}
    assert rules.broken("ยยย") == [] and rules.broken("Ann") == [("^", "A"), ("A", "a")]


def test_a_corpus_with_a_capital_after_lowercase_allows_it() -> None:
    assert CaseRules.from_names(["McDonald", "Anna"]).broken("MaMvine") == []


def test_a_state_where_only_the_end_may_follow_ends_the_name() -> None:
    # "'" is only ever followed by the end here: a row there ends, even below a minimum length
    # (the sampler unmasks the end where the state does not continue), rather than write a
    # casing the corpus never has (a Tamil list with one stray "…மாH" once gave "…முHாதன்").
    rules = CaseRules.from_names(["Ab'", "Cd'", "Ef"])
    mask = CaseMask.build(rules, Vocabulary.from_names(["Ab'", "Cd'", "Ef"]))
    apostrophe = mask.classes.index("'")
    assert torch.isfinite(mask.logits[apostrophe, EOS])
    assert not torch.isfinite(mask.logits[apostrophe, N_SPECIAL:]).any()
    assert not mask.continues[apostrophe] and bool(mask.continues[mask.start])


def _draw(model: NameModel, t: float, n: int, masked: bool) -> list[str]:
    gen = torch.Generator().manual_seed(0)
    rows = sample_rows(
        model.net,
        [()] * n,
        torch.multinomial(torch.tensor(model.label_prior), n, replacement=True, generator=gen),
        torch.full((n,), t),
        torch.ones(n, dtype=torch.long),
        torch.full((n,), model.max_len + 4, dtype=torch.long),
        gen,
        model.case_mask if masked else None,
    )
    return [model.vocab.decode(r) for r in rows if r is not None]


def test_without_the_mask_a_hot_sampler_breaks_casing(tiny_model: NameModel) -> None:
    # The premise of the next test: the network alone does write "aulel" and "GeTtlin".
    names = _draw(tiny_model, 3.0, 2000, masked=False)
    assert sum(bool(tiny_model.casing.broken(n)) for n in names) > 20


@pytest.mark.parametrize("temperature", [0.1, 1.0, 2.0, 3.0])
def test_no_sampled_name_has_a_casing_the_corpus_never_has(
    tiny_model: NameModel, temperature: float
) -> None:
    names = _draw(tiny_model, temperature, 2000, masked=True)
    assert len(names) > 1000
    assert [n for n in names if tiny_model.casing.broken(n)] == []


def test_generate_applies_the_casing_rules(tiny_model: NameModel) -> None:
    names = generate(tiny_model, GenerationRequest(count=300, temperature=3.0, seed=2)).names
    assert len(names) == 300
    assert [n for n in names if tiny_model.casing.broken(n)] == []


def test_a_prefix_is_written_as_given_and_continued_by_the_rules(tiny_model: NameModel) -> None:
    names = generate(
        tiny_model, GenerationRequest(prefix="MC", count=20, temperature=3.0, seed=1)
    ).names
    assert names
    assert all(n.startswith("MC") and n[2:].islower() for n in names)
