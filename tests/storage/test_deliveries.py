"""A redelivered update is seen once, on either engine (replicas share the record)."""

from __future__ import annotations

import asyncio

import storage


async def test_an_update_is_first_seen_once(store: storage.Storage) -> None:
    assert await store.deliveries.first("tg:100")
    assert not await store.deliveries.first("tg:100")
    assert await store.deliveries.first("tg:101")


async def test_racing_deliveries_of_one_update_let_one_through(store: storage.Storage) -> None:
    seen = await asyncio.gather(*(store.deliveries.first("tg:7") for _ in range(20)))
    assert sorted(seen) == [False] * 19 + [True]


async def test_old_deliveries_are_forgotten(store: storage.Storage) -> None:
    await store.deliveries.first("tg:1")
    assert await store.deliveries.prune(keep_hours=1) == 0
    assert await store.deliveries.prune(keep_hours=-1) == 1
    assert await store.deliveries.first("tg:1")
