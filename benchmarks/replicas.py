"""One replica against two, on the same cores: burst replies/s and latency; prints JSON.

Each replica is `namesmith run` as deployed (shipped models, default sampling threads) in webhook
mode on one PostgreSQL database (a throwaway server from the machine's binaries, fsync on,
synchronous_commit off), answering through our fake Bot API on 127.0.0.1. This process plays
Telegram and the load balancer: it POSTs each update, with the secret, to the replicas in turn,
over at most 40 kept-alive connections in all (Telegram's default max_connections).
Latency runs from the POST to the reply's sendMessage reaching the fake server.

- burst: U users (default 200) each send `/name` at the same instant; replies/s is U over the
  time from the first POST to the last reply. Rounds are repeated (--rounds) and reported each,
  with the median. The same machine runs the replicas, PostgreSQL, the fake API and this
  client, so two replicas share the cores one had: the figure says what a second process buys
  on the same machine, not on a second one.
- baseline, in the same run: `/start` (no model, no database write) from 50 users at once.
- rate_limit_store: the per-request cost of the shared rate limit (`RateLimits.take`, one
  transaction on PostgreSQL) for a private chat (1 bucket) and a group (3 buckets), one at a
  time and 50 at once, against the in-memory limiter in the same run.

    .venv/bin/python -m benchmarks.replicas [--users 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

import storage
from bot.ratelimit import RateLimiter
from tests.fakes.telegram import TOKEN, FakeTelegram, post_update
from tests.storage.pgserver import PgServer, TempPostgres, find_bindir

NAMESMITH = Path(sys.executable).parent / "namesmith"
SECRET = "benchmark-webhook-secret-0123456789"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _create_database(server: PgServer, name: str) -> str:
    admin = await asyncpg.connect(server.url("postgres"))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return server.url(name)


async def _start(fake: FakeTelegram, database: str, tmp: Path, n: int) -> list[tuple[Any, str]]:
    """N replicas on `database`; returns (process, webhook URL) once each has answered."""
    replicas = []
    for _ in range(n):
        port = _free_port()
        env = {
            **os.environ,
            "NAMESMITH_TELEGRAM_TOKEN": TOKEN,
            "NAMESMITH_TELEGRAM_API_URL": fake.base_url,
            "NAMESMITH_TELEGRAM_FILE_URL": fake.base_file_url,
            "NAMESMITH_TELEGRAM_OVERALL_RATE": "10000",  # our processing, not Telegram's pace
            "NAMESMITH_TELEGRAM_WEBHOOK_URL": "https://bot.example.com/telegram",
            "NAMESMITH_TELEGRAM_WEBHOOK_LISTEN": f"127.0.0.1:{port}",
            "NAMESMITH_TELEGRAM_WEBHOOK_SECRET": SECRET,
            "NAMESMITH_DATABASE": database,
            "NAMESMITH_MODELS_DIR": str(tmp / "models"),
            "NAMESMITH_RATE_LIMIT": "10000",
            "NAMESMITH_LOG_LEVEL": "WARNING",
        }
        proc = await asyncio.create_subprocess_exec(str(NAMESMITH), "run", env=env, cwd=tmp)
        replicas.append((proc, f"http://127.0.0.1:{port}/telegram"))
    for i, (proc, url) in enumerate(replicas):
        # Ready once it answers: models loaded, webhook server listening.
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        async with asyncio.timeout(180):
            while True:
                if proc.returncode is not None:
                    raise RuntimeError("a replica exited at start")
                try:
                    _, writer = await asyncio.open_connection("127.0.0.1", port)
                except OSError:
                    await asyncio.sleep(0.2)
                    continue
                writer.close()
                await writer.wait_closed()
                break
        async with aiohttp.ClientSession() as session:
            await _request(fake, url, "/start", 1 + i, session)
    return replicas


async def _request(
    fake: FakeTelegram, url: str, text: str, uid: int, session: aiohttp.ClientSession
) -> float:
    """One update to one replica; milliseconds until its reply reached the fake API."""
    reply = fake.next_reply(uid)
    fake.command(text, user_id=uid)
    (update,) = fake.take_updates()
    t0 = time.perf_counter()
    status = await post_update(url, update, SECRET, session)
    if status != 200:
        raise RuntimeError(f"webhook answered {status}")
    call = await asyncio.wait_for(reply, 120)
    return (call.at - t0) * 1000


async def _burst(
    fake: FakeTelegram, urls: list[str], users: int, text: str, session: aiohttp.ClientSession
) -> dict[str, Any]:
    base = 10_000_000 + len(fake.calls) * 1000  # fresh users per round
    t0 = time.perf_counter()
    latencies = await asyncio.gather(
        *(_request(fake, urls[u % len(urls)], text, base + u, session) for u in range(users))
    )
    elapsed = time.perf_counter() - t0
    return {
        "users": users,
        "replies": len(latencies),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(_pct(latencies, 0.99), 1),
        "max_ms": round(max(latencies), 1),
        "replies_per_s": round(users / elapsed, 1),
    }


async def _replicas(server: PgServer, tmp: Path, n: int, users: int, rounds: int) -> dict[str, Any]:
    fake = FakeTelegram()
    await fake.start()
    database = await _create_database(server, f"bench_{n}")
    procs = await _start(fake, database, tmp, n)
    urls = [url for _, url in procs]
    # Telegram keeps up to 40 connections open to a webhook (setWebhook's max_connections),
    # to the load balancer: 40 in all, whatever the number of replicas behind it.
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=40))
    try:
        for u in range(20):  # warm up every replica's models and connections
            await _request(fake, urls[u % n], "/name", 100 + u, session)
        baseline = await _burst(fake, urls, 50, "/start", session)
        runs = [await _burst(fake, urls, users, "/name", session) for _ in range(rounds)]
    finally:
        await session.close()
        for proc, _ in procs:
            proc.terminate()
        for proc, _ in procs:
            await proc.wait()
        await fake.stop()
    return {
        "replicas": n,
        "baseline_start_50": baseline,
        "burst": runs,
        "burst_median_replies_per_s": statistics.median(r["replies_per_s"] for r in runs),
        "burst_median_p99_ms": statistics.median(r["p99_ms"] for r in runs),
    }


async def _limiter_cost(server: PgServer) -> dict[str, Any]:
    s = await storage.open(await _create_database(server, "bench_limits"))
    out: dict[str, Any] = {}
    try:
        for label, chat in (("private_1_bucket", None), ("group_3_buckets", "tg:-100")):
            buckets = [("user:tg:{}", 10_000, 10.0)]
            if chat:
                buckets += [
                    (f"group:{chat}", 10_000, 60.0),
                    (f"member:{chat}/tg:{{}}", 10_000, 60.0),
                ]

            def make(u: int) -> list[tuple[str, int, float]]:
                return [(k.format(u), n, p) for k, n, p in buckets]  # noqa: B023

            one = []
            for i in range(2000):
                t0 = time.perf_counter()
                await s.rate_limits.take(make(i % 100), now=time.time())
                one.append((time.perf_counter() - t0) * 1000)

            async def user(u: int, times: int) -> None:
                for _ in range(times):
                    await s.rate_limits.take(make(u), now=time.time())

            t0 = time.perf_counter()
            await asyncio.gather(*(user(u, 40) for u in range(50)))
            concurrent = 50 * 40 / (time.perf_counter() - t0)
            out[label] = {
                "sequential_p50_ms": round(statistics.median(one), 3),
                "sequential_p99_ms": round(_pct(one, 0.99), 3),
                "concurrent_50_per_s": round(concurrent),
            }
    finally:
        await s.close()
    memory = RateLimiter(10_000, 10.0)
    t0 = time.perf_counter()
    for i in range(20_000):
        await memory.check(f"tg:{i % 100}")
    out["in_memory_ms"] = round((time.perf_counter() - t0) * 1000 / 20_000, 4)
    return out


async def _run(users: int, rounds: int, tmp: Path) -> dict[str, Any]:
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("no PostgreSQL binaries (pg_ctl); install Debian's postgresql package")
    results: dict[str, Any] = {"benchmark": "replicas", "cpus": os.cpu_count()}
    with TempPostgres(bindir, fast=False) as server:
        one = await _replicas(server, tmp, 1, users, rounds)
        two = await _replicas(server, tmp, 2, users, rounds)
        results["one_replica"] = one
        results["two_replicas"] = two
        results["scaling"] = round(
            two["burst_median_replies_per_s"] / one["burst_median_replies_per_s"], 2
        )
        results["rate_limit_store"] = await _limiter_cost(server)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--users", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(_run(args.users, args.rounds, Path(tmp)))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
