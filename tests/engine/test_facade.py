from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import pytest

from engine import sampling
from engine.errors import RequestError, UnknownStyle
from engine.facade import NameEngine
from engine.namemodel import NameModel
from engine.sampling import GenerationRequest, GenerationResult


@pytest.fixture
async def engine(tiny_model: NameModel) -> AsyncIterator[NameEngine]:
    eng = NameEngine({"english": tiny_model})
    yield eng
    await eng.aclose()


async def test_generate_returns_names(engine: NameEngine) -> None:
    res = await engine.generate(GenerationRequest(prefix="Eld", count=5))
    assert len(res.names) == 5
    assert all(n.startswith("Eld") for n in res.names)


async def test_concurrent_requests_are_micro_batched(
    engine: NameEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = sampling.generate_many

    def counting(model: NameModel, reqs: Sequence[GenerationRequest]) -> list[GenerationResult]:
        calls.append(len(reqs))
        return real(model, reqs)

    monkeypatch.setattr(sampling, "generate_many", counting)
    prefixes = ["A", "B", "C", "D", "E"] * 10
    results = await asyncio.gather(
        *(engine.generate(GenerationRequest(prefix=p, count=3)) for p in prefixes)
    )
    assert [r.request.prefix for r in results] == prefixes
    assert all(len(r.names) == 3 and r.names[0].startswith(r.request.prefix) for r in results)
    assert sum(calls) == 50
    assert len(calls) < 50  # some requests went out together


async def test_the_event_loop_keeps_running_while_sampling(engine: NameEngine) -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    t = asyncio.create_task(ticker())
    await engine.generate(GenerationRequest(count=500, temperature=1.5))
    t.cancel()
    assert ticks > 10


async def test_seeded_requests_repeat_even_under_load(engine: NameEngine) -> None:
    seeded = GenerationRequest(count=8, seed=99)
    noise = [engine.generate(GenerationRequest(count=8)) for _ in range(5)]
    first, *_ = await asyncio.gather(engine.generate(seeded), *noise)
    second = await engine.generate(seeded)
    assert first.names == second.names


async def test_a_bad_request_fails_alone(engine: NameEngine) -> None:
    good = engine.generate(GenerationRequest(count=2))
    bad = engine.generate(GenerationRequest(temperature=0))
    ok, err = await asyncio.gather(good, bad, return_exceptions=True)
    assert isinstance(ok, GenerationResult)
    assert isinstance(err, RequestError)


async def test_unknown_style_lists_the_known_ones(engine: NameEngine) -> None:
    with pytest.raises(UnknownStyle, match="known styles: english"):
        await engine.generate(GenerationRequest(style="vulcan"))


async def test_score(engine: NameEngine) -> None:
    s = await engine.score("english", "Margaret")
    assert s.in_corpus


async def test_replace_style_swaps_the_model(engine: NameEngine, tiny_model: NameModel) -> None:
    engine.replace_style("elvish", tiny_model)
    assert set(engine.styles) == {"english", "elvish"}
    res = await engine.generate(GenerationRequest(style="elvish", count=1))
    assert len(res.names) == 1
