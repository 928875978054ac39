"""Favourites written and read per second, SQLite and PostgreSQL side by side; prints JSON.

Each engine runs with 1 and with 50 concurrent users: N writes (`favourites.add`, one
transaction each) and N page reads (`favourites.page`: a count and a page) shared among the
users, on a fresh database. PostgreSQL is a throwaway server started from the machine's binaries
(synchronous_commit=off, like SQLite's WAL with synchronous=NORMAL: a machine crash may lose the
last commits, never corrupt), reached over TCP on 127.0.0.1 through the asyncpg pool.

Baseline measured in the same run: the same inserts through the plain synchronous sqlite3 module
with the same PRAGMAs, one transaction per write, so the figure shows what the async layer costs.

    .venv/bin/python -m benchmarks.storage [--ops 2000] [--pool 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg

import storage
from storage.favourites import Favourites
from tests.storage.pgserver import PgServer, TempPostgres, find_bindir

CONCURRENCY = (1, 50)


async def _timed(users: int, ops: int, op: Callable[[int, int], Awaitable[object]]) -> float:
    """Operations per second: `ops` calls of op(user, i) shared among `users` coroutines."""

    async def user(u: int) -> None:
        for i in range(u, ops, users):
            await op(u, i)

    t0 = time.perf_counter()
    await asyncio.gather(*(user(u) for u in range(users)))
    return ops / (time.perf_counter() - t0)


async def _measure(target: str | Path, users: int, ops: int, pool: int) -> dict[str, float]:
    s = await storage.open(target, pool_size=pool)
    favourites = Favourites(s.db, limit=10**9)  # one user writes more than the per-user cap
    try:

        async def write(u: int, i: int) -> None:
            await favourites.add(f"tg:{u}", f"Name{i}", style="english", temperature=0.8)

        async def read(u: int, i: int) -> None:
            await s.favourites.page(f"tg:{u}", 1 + i % 5)

        writes = await _timed(users, ops, write)
        reads = await _timed(users, ops, read)
    finally:
        await s.close()
    return {"writes_per_s": round(writes, 1), "reads_per_s": round(reads, 1)}


async def _sqlite(folder: Path, ops: int) -> dict[str, Any]:
    return {
        f"users_{users}": await _measure(folder / f"ours-{users}.sqlite3", users, ops, 1)
        for users in CONCURRENCY
    }


async def _postgres(server: PgServer, ops: int, pool: int) -> dict[str, Any]:
    result: dict[str, Any] = {"pool_size": pool}
    for users in CONCURRENCY:
        name = f"bench_{users}"
        admin = await asyncpg.connect(server.url("postgres"))
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        result[f"users_{users}"] = await _measure(server.url(name), users, ops, pool)
    return result


def _baseline(path: Path, writes: int, users: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute("CREATE TABLE f (id INTEGER PRIMARY KEY, user_key TEXT, name TEXT, "
                 "style TEXT, temperature REAL, UNIQUE (user_key, name))")  # fmt: skip
    t0 = time.perf_counter()
    for i in range(writes):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO f (user_key, name, style, temperature) VALUES (?, ?, ?, ?)",
            (f"tg:{i % users}", f"Name{i}", "english", 0.8),
        )
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    conn.close()
    return writes / elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--ops", type=int, default=2000, help="writes, then as many page reads")
    ap.add_argument("--pool", type=int, default=10, help="PostgreSQL pool size")
    args = ap.parse_args()
    result: dict[str, Any] = {"benchmark": "storage", "ops": args.ops}
    with tempfile.TemporaryDirectory() as tmp:
        result["sqlite"] = asyncio.run(_sqlite(Path(tmp), args.ops))
        base = _baseline(Path(tmp) / "base.sqlite3", args.ops, 20)
    bindir = find_bindir()
    if bindir is None:
        result["postgresql"] = {
            "skipped": "no PostgreSQL binaries (pg_ctl) on PATH or under "
            "/usr/lib/postgresql/*/bin; install the postgresql package"
        }
    else:
        with TempPostgres(bindir, fast=False) as server:
            result["postgresql"] = asyncio.run(_postgres(server, args.ops, args.pool))
    result["baseline_sqlite3_writes_per_s"] = round(base, 1)
    result["sqlite_1_user_write_speed_vs_baseline"] = round(
        result["sqlite"]["users_1"]["writes_per_s"] / base, 3
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
