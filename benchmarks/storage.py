"""Favourites written and read per second on a real SQLite file; prints JSON.

Baseline measured in the same run: the same inserts through the plain synchronous sqlite3 module
with the same PRAGMAs, one transaction per write, so the figure shows what the async layer costs.

    .venv/bin/python -m benchmarks.storage [--writes 2000] [--users 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import tempfile
import time
from pathlib import Path

import storage


async def _ours(path: Path, writes: int, users: int) -> dict[str, float]:
    s = await storage.open(path)
    try:
        t0 = time.perf_counter()
        await asyncio.gather(
            *(_writer(s, f"tg:{u}", range(u, writes, users)) for u in range(users))
        )
        t_write = time.perf_counter() - t0
        t0 = time.perf_counter()
        reads = 0
        for u in range(users):
            for page in range(1, 6):
                await s.favourites.page(f"tg:{u}", page)
                reads += 1
        t_read = time.perf_counter() - t0
        concurrent = await _concurrent_reads(s, users)
    finally:
        await s.close()
    return {
        "writes_per_s": writes / t_write,
        "page_reads_per_s": reads / t_read,
        "concurrent_page_reads_per_s": concurrent,
    }


async def _writer(s: storage.Storage, user: str, ids: range) -> None:
    for i in ids:
        await s.favourites.add(user, f"Name{i}", style="english", temperature=0.8)


async def _concurrent_reads(s: storage.Storage, users: int, rounds: int = 10) -> float:
    t0 = time.perf_counter()
    await asyncio.gather(*(s.favourites.page(f"tg:{u % users}") for u in range(users * rounds)))
    return users * rounds / (time.perf_counter() - t0)


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
    ap.add_argument("--writes", type=int, default=2000)
    ap.add_argument("--users", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ours = asyncio.run(_ours(Path(tmp) / "ours.sqlite3", args.writes, args.users))
        base = _baseline(Path(tmp) / "base.sqlite3", args.writes, args.users)
    result = {
        "benchmark": "storage",
        "writes": args.writes,
        "users": args.users,
        **{k: round(v, 1) for k, v in ours.items()},
        "baseline_sqlite3_writes_per_s": round(base, 1),
        "write_speed_vs_baseline": round(ours["writes_per_s"] / base, 3),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
