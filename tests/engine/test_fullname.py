from __future__ import annotations

import pytest

from engine import checkpoint, corpus
from engine.errors import RequestError
from engine.namemodel import NameModel
from engine.sampling import GenerationRequest, generate, generate_many
from engine.train import train
from tests.conftest import TINY, TINY_TRAIN

STEMS = [a + b for a in ("Petr", "Ivan", "Sokol", "Volk", "Morozov", "Lebed") for b in "abcdefghij"]


@pytest.fixture(scope="module")
def gendered_family() -> NameModel:
    """Family names whose female form ends in -ova and male form in -ov, like Russian ones."""
    pairs = [(f"{s}ova", "female") for s in STEMS] + [(f"{s}ov", "male") for s in STEMS]
    data = corpus.clean("russian-surnames", pairs)
    result = train(data, TINY_TRAIN, TINY)
    return checkpoint.build(result.model, result.vocab, data, {}, "test family names")


def _full(given: NameModel, family: NameModel, **kw: object) -> tuple[str, ...]:
    request = GenerationRequest(full=True, seed=3, **kw)  # type: ignore[arg-type]
    (res,) = generate_many(given, [request], seed=3, family=family)
    return res.names


def test_a_full_name_is_a_given_name_and_a_family_name(
    tiny_model: NameModel, gendered_family: NameModel
) -> None:
    names = _full(tiny_model, gendered_family, count=10, prefix="Mar")
    assert len(names) == 10
    for name in names:
        given, family = name.split(" ")
        assert given.startswith("Mar")  # the options apply to the given name
        assert family.endswith(("ov", "ova"))


@pytest.mark.parametrize(("gender", "ending"), [("female", "ova"), ("male", "ov")])
def test_the_family_name_takes_the_given_name_s_gender(
    tiny_model: NameModel, gendered_family: NameModel, gender: str, ending: str
) -> None:
    names = _full(tiny_model, gendered_family, count=10, label=gender, temperature=0.3)
    assert names
    assert all(n.split(" ")[1].endswith(ending) for n in names)


def test_a_style_without_family_names_refuses_full_names(tiny_model: NameModel) -> None:
    with pytest.raises(RequestError, match="the elf style has no family names"):
        generate(tiny_model, GenerationRequest(style="elf", full=True))
