"""The rate limiters the service can be given: in memory, or shared through the database."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import storage
from bot.ratelimit import RateLimiter, SharedRateLimiter, Verdict


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[storage.Storage]:
    s = await storage.open(tmp_path / "n.sqlite3")
    yield s
    await s.close()


async def test_shared_and_in_memory_limiters_give_the_same_verdicts(
    store: storage.Storage,
) -> None:
    """One script of requests (a private flood, then a group), the same answers from both."""
    clock = Clock()
    shared = SharedRateLimiter(store.rate_limits, 3, 600.0, group_limit=4, clock=clock)
    memory = RateLimiter(3, 600.0, group_limit=4)
    script = [("tg:1", None)] * 5 + [("tg:2", "tg:-5")] * 3 + [("tg:3", "tg:-5")] * 3
    got = [await shared.check(user, chat) for user, chat in script]
    assert got == [await memory.check(user, chat) for user, chat in script]
    assert got == [Verdict.ALLOW] * 3 + [Verdict.WARN, Verdict.IGNORE] + (
        [Verdict.ALLOW] * 2 + [Verdict.WARN] + [Verdict.ALLOW] * 2 + [Verdict.WARN]
    )


async def test_the_shared_limiter_refills_with_the_clock(store: storage.Storage) -> None:
    clock = Clock()
    limiter = SharedRateLimiter(store.rate_limits, 2, 10.0, clock=clock)
    assert [await limiter.allow("tg:1") for _ in range(3)] == [True, True, False]
    clock.now += 5.0  # one request drains every 5 s
    assert await limiter.allow("tg:1")
    assert not await limiter.allow("tg:1")


async def test_an_unreachable_store_allows_the_request_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    s = await storage.open(tmp_path / "n.sqlite3")
    limiter = SharedRateLimiter(s.rate_limits, 1, 600.0)
    await s.close()  # the database went away
    with caplog.at_level(logging.WARNING, logger="bot.ratelimit"):
        assert await limiter.check("tg:1") is Verdict.ALLOW
        assert await limiter.check("tg:1") is Verdict.ALLOW
    assert "rate limit store failed" in caplog.text
