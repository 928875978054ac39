"""The transaction() contract, held by both engines (each test runs on SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import contextlib
import random
from pathlib import Path

import pytest

import storage
from storage.db import SqliteDatabase


async def test_a_failed_transaction_leaves_nothing(store: storage.Storage) -> None:
    with pytest.raises(RuntimeError):
        async with store.db.transaction() as tx:
            await tx.execute("INSERT INTO counters (name, value) VALUES ('x', 1)")
            raise RuntimeError("boom")
    assert await store.db.fetchone("SELECT * FROM counters WHERE name = 'x'") is None


async def _cancel_after(task: asyncio.Task[object], step: int) -> None:
    """Cancel `task` at one of many points: after a number of loop turns, then of microseconds."""
    if step < 30:
        for _ in range(step):
            await asyncio.sleep(0)
    else:
        await asyncio.sleep((step - 30) * 0.0002)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, storage.StorageError):
        await task


async def test_cancelled_transactions_leave_the_database_usable(target: str | Path) -> None:
    """Tasks cancelled while waiting for BEGIN, inside the body, at COMMIT...: afterwards a
    write works (a connection left inside a transaction would fail every later write, or a
    leaked pool connection would hang this with pool_size=2)."""
    s = await storage.open(target, pool_size=2)
    try:
        for step in range(60):
            task = asyncio.create_task(s.favourites.add("tg:1", f"N{step}", style="english"))
            await _cancel_after(task, step)
        rng = random.Random(7)
        tasks = [
            asyncio.create_task(s.stats.served(f"tg:{i}", 1)) for i in range(20)
        ]  # several waiting for the lock or the pool at once
        await asyncio.sleep(rng.random() / 500)
        for t in tasks[::2]:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        async with asyncio.timeout(30):
            assert await s.favourites.add("tg:2", "After", style="english")
            assert (await s.favourites.page("tg:2")).total == 1
        if isinstance(s.db, SqliteDatabase):
            assert not s.db.in_transaction
    finally:
        await s.close()


# How each engine is told to refuse writes: both raise their driver's "read-only" error.
READ_ONLY = {"sqlite": "PRAGMA query_only = ON", "postgresql": "SET TRANSACTION READ ONLY"}
WRITABLE = {"sqlite": "PRAGMA query_only = OFF", "postgresql": "SELECT 1"}


async def test_a_refused_write_comes_out_as_a_storage_error(store: storage.Storage) -> None:
    """The driver's error goes through storage.db.errors, not out of the engine as it was."""
    with pytest.raises(storage.DatabaseNotWritable) as info:
        async with store.db.transaction() as tx:
            await tx.execute(READ_ONLY[store.db.dialect])
            await tx.execute("INSERT INTO counters (name, value) VALUES ('x', 1)")
    assert info.value.__cause__ is not None
    await store.db.fetchone(WRITABLE[store.db.dialect])
    async with store.db.transaction() as tx:  # the database is usable afterwards
        assert await tx.execute("INSERT INTO counters (name, value) VALUES ('y', 1)") == 1
