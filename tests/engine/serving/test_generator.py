from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace

import pytest

from engine.corpora import corpus
from engine.errors import RequestError, UnknownStyle
from engine.nn.model import CharRNN
from engine.nn.train import train
from engine.nn.vocab import Vocabulary
from engine.serving import checkpoint, sampling
from engine.serving.generator import NameEngine
from engine.serving.sampling import GenerationRequest, GenerationResult
from engine.serving.trained import NameModel
from tests.conftest import TINY, TINY_TRAIN


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

    def counting(
        model: NameModel, reqs: Sequence[GenerationRequest], family: NameModel | None = None
    ) -> list[GenerationResult]:
        calls.append(len(reqs))
        return real(model, reqs, family=family)

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


def _unlabelled(model: NameModel) -> NameModel:
    """An untrained model with no genders: a request for one is invalid for it."""
    plain = corpus.clean("plain", [(n, "") for n in sorted(model.corpus_names)[:200]])
    vocab = Vocabulary.from_names(plain.names)
    net = CharRNN(replace(TINY, vocab_size=len(vocab), n_labels=1))
    return checkpoint.build(net, vocab, plain, {}, "untrained, unlabelled")


async def test_a_swap_while_a_batch_runs_answers_every_request(
    engine: NameEngine, tiny_model: NameModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    new = _unlabelled(tiny_model)
    running, release = threading.Event(), threading.Event()
    batches: list[tuple[NameModel, int]] = []
    real = sampling.generate_many

    def gated(
        model: NameModel, reqs: Sequence[GenerationRequest], family: NameModel | None = None
    ) -> list[GenerationResult]:
        batches.append((model, len(reqs)))
        if len(batches) == 1:  # hold the first batch until the swap has happened
            running.set()
            release.wait(30)
        return real(model, reqs, family=family)

    monkeypatch.setattr(sampling, "generate_many", gated)
    first = asyncio.ensure_future(engine.generate(GenerationRequest(count=2, label="female")))
    assert await asyncio.to_thread(running.wait, 30)
    # Queued behind the running batch; each is valid for the model serving at arrival.
    later = [asyncio.ensure_future(engine.generate(GenerationRequest(count=2))) for _ in range(3)]
    female = asyncio.ensure_future(engine.generate(GenerationRequest(count=2, label="female")))
    await asyncio.sleep(0)  # one loop turn: each runs up to its wait in the queue
    assert len(engine._queues["english"].pending) == 4
    engine.replace_style("english", new)
    release.set()

    assert len((await first).names) == 2  # finished on the model it started with
    answered = await asyncio.gather(*later)
    assert all(isinstance(r, GenerationResult) for r in answered)
    with pytest.raises(RequestError, match="has no genders"):
        await female  # invalid for the new model: it fails alone
    assert batches == [(tiny_model, 1), (new, 3)]


@pytest.fixture(scope="module")
def zyx_surnames() -> NameModel:
    """Family names no shipped model could write: Z, z, y and x only, so each is recognisable."""
    rng = random.Random(0)
    names = {"Z" + "".join(rng.choices("zyx", k=rng.randint(3, 7))) for _ in range(400)}
    data = corpus.clean("surnames", [(n, "") for n in sorted(names)])
    result = train(data, replace(TINY_TRAIN, max_steps=60), TINY)
    return checkpoint.build(result.model, result.vocab, data, {}, "test surnames")


@pytest.mark.parametrize("seed", [None, 7])  # batched, and seeded (sampled alone)
async def test_full_names_take_their_family_names_from_the_registry(
    engine: NameEngine, zyx_surnames: NameModel, seed: int | None
) -> None:
    """A retrained or adopted `surnames` style is the one english full names use."""
    engine.replace_style("surnames", zyx_surnames)
    res = await engine.generate(GenerationRequest(count=5, full=True, seed=seed))
    assert len(res.names) == 5
    assert all(set(n.rsplit(" ", 1)[1]) <= set("Zzyx") for n in res.names), res.names


async def test_full_names_need_the_family_style_served(engine: NameEngine) -> None:
    with pytest.raises(RequestError, match=r"its family names \(surnames\) are not loaded"):
        await engine.generate(GenerationRequest(count=2, full=True))
