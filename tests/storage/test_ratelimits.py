"""Shared rate-limit buckets: GCRA in the database, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import storage

T0 = 1_800_000_000.0  # a fixed "now": the tests move the clock themselves
USER = ("user:tg:1", 3, 30.0)  # 3 requests per 30 s: one more every 10 s


async def test_a_full_bucket_warns_once_then_ignores(store: storage.Storage) -> None:
    got = [await store.rate_limits.take([USER], now=T0) for _ in range(6)]
    assert got == ["allow"] * 3 + ["warn", "ignore", "ignore"]


async def test_the_bucket_refills_at_its_rate_and_forgets_the_warning(
    store: storage.Storage,
) -> None:
    for _ in range(4):
        await store.rate_limits.take([USER], now=T0)
    assert await store.rate_limits.take([USER], now=T0 + 9.9) == "ignore"
    assert await store.rate_limits.take([USER], now=T0 + 10.0) == "allow"  # one drained
    assert await store.rate_limits.take([USER], now=T0 + 10.0) == "warn"  # told afresh
    assert await store.rate_limits.take([USER], now=T0 + 60.0) == "allow"
    assert await store.rate_limits.take([USER], now=T0 + 60.0) == "allow"
    assert await store.rate_limits.take([USER], now=T0 + 60.0) == "allow"
    assert await store.rate_limits.take([USER], now=T0 + 60.0) == "warn"  # a full bucket, no more


async def test_a_refused_request_spends_nothing_from_the_other_buckets(
    store: storage.Storage,
) -> None:
    group = ("group:tg:-100", 4, 60.0)

    def member(n: int) -> tuple[str, int, float]:
        return (f"member:tg:-100/tg:{n}", 2, 60.0)

    def user(n: int) -> tuple[str, int, float]:
        return (f"user:tg:{n}", 100, 60.0)

    take = store.rate_limits.take
    # Member 1 has a share of 2: the third is refused, and costs the group nothing ...
    assert [await take([user(1), group, member(1)], now=T0) for _ in range(5)] == (
        ["allow", "allow", "warn", "ignore", "ignore"]
    )
    # ... so members 2 and 3 still have the other two of the group's 4.
    assert await take([user(2), group, member(2)], now=T0) == "allow"
    assert await take([user(3), group, member(3)], now=T0) == "allow"
    assert await take([user(3), group, member(3)], now=T0) == "warn"  # the group's budget is spent
    # Member 1 alone in a private chat is still within their own limit.
    assert await take([user(1)], now=T0) == "allow"


async def test_two_processes_share_the_buckets_exactly(
    store: storage.Storage, store_target: str | Path
) -> None:
    """Concurrent requests through two connection pools (two replicas): exactly `limit` are
    allowed, and exactly one is told to slow down."""
    other = await storage.open(store_target)
    try:
        flood = [
            (store if i % 2 else other).rate_limits.take([("user:tg:7", 5, 60.0)], now=T0)
            for i in range(30)
        ]
        got = await asyncio.gather(*flood)
    finally:
        await other.close()
    assert sorted(got) == sorted(["allow"] * 5 + ["warn"] + ["ignore"] * 24)


async def test_prune_forgets_only_drained_buckets(store: storage.Storage) -> None:
    await store.rate_limits.take([("user:tg:1", 1, 10.0)], now=T0)  # drains at T0 + 10
    await store.rate_limits.take([("user:tg:2", 1, 100.0)], now=T0)  # drains at T0 + 100
    assert await store.rate_limits.prune(T0 + 50) == 1
    # The remaining bucket is still full: pruning did not forget a live limit.
    assert await store.rate_limits.take([("user:tg:2", 1, 100.0)], now=T0 + 50) == "warn"
    assert await store.rate_limits.take([("user:tg:1", 1, 10.0)], now=T0 + 50) == "allow"


@pytest.mark.parametrize(
    "buckets",
    [[], [("user:tg:1", 0, 10.0)], [("user:tg:1", 3, 0.0)], [("", 3, 10.0)]],
)
async def test_bad_buckets_are_refused(
    store: storage.Storage, buckets: list[tuple[str, int, float]]
) -> None:
    with pytest.raises((ValueError, storage.InvalidValue)):
        await store.rate_limits.take(buckets, now=T0)
