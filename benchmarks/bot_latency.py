"""Latency from update to reply through the real python-telegram-bot client; prints JSON.

N simulated users (1, 50, 200) send `/name` commands through our fake Bot API server on
127.0.0.1, served by the real PTB Application, the real service, the shipped models and a real
SQLite file. Latency runs from the moment an update is offered to getUpdates to the moment the
reply's sendMessage reaches the server.

- steady: each user sends 3 commands with exponential think time, mean max(1, N/25) s (at most
  ~25 requests/s overall, under Telegram's 30 messages/s), the production outgoing limiter on.
- burst: every user sends one command at the same instant; outgoing limiter raised, so the
  figure is our own processing (engine micro-batching, SQLite, PTB).
- baseline, in the same run: `/start` (no engine, no database write) at N = 1, the floor of the
  PTB client and the fake server.

    .venv/bin/python -m benchmarks.bot_latency [--users 1 50 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from pydantic import SecretStr

from bot.adapters import telegram as tg
from bot.app import build_service, close_service
from bot.config import Config
from tests.fakes.telegram import TOKEN, FakeTelegram


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _scenario(
    fake: FakeTelegram, users: int, per_user: int, think: float, text: str, burst: bool
) -> dict[str, float | int]:
    latencies: list[float] = []
    base = 1_000_000 * (1 + len(fake.calls))  # fresh chat ids per scenario
    rng = random.Random(users)

    async def user(uid: int) -> None:
        for _ in range(per_user):
            before = sum(1 for c in fake.sent() if c.params["chat_id"] == uid)
            t0 = time.perf_counter()
            fake.command(text, user_id=uid)
            while True:
                replies = [c for c in fake.sent() if c.params["chat_id"] == uid]
                if len(replies) > before:
                    latencies.append((replies[before].at - t0) * 1000)
                    break
                await asyncio.sleep(0.002)
            if not burst:
                await asyncio.sleep(rng.expovariate(1 / think))

    t0 = time.perf_counter()
    if not burst:
        # Stagger the first requests over one think time, as real users arrive.
        async def staggered(uid: int) -> None:
            await asyncio.sleep(rng.uniform(0, think))
            await user(uid)

        await asyncio.wait_for(asyncio.gather(*(staggered(base + u) for u in range(users))), 600)
    else:
        await asyncio.wait_for(asyncio.gather(*(user(base + u) for u in range(users))), 600)
    elapsed = time.perf_counter() - t0
    expected = users * per_user
    return {
        "users": users,
        "requests": expected,
        "replies": len(latencies),
        "lost": expected - len(latencies),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(_pct(latencies, 0.99), 1),
        "max_ms": round(max(latencies), 1),
        "replies_per_s": round(len(latencies) / elapsed, 1),
    }


async def _run(users: list[int], db: Path) -> dict[str, object]:
    fake = FakeTelegram()
    await fake.start()
    results: dict[str, object] = {"benchmark": "bot_latency"}
    try:
        for mode, rate in (("steady", 30.0), ("burst", 10_000.0)):
            config = Config(
                telegram_token=SecretStr(TOKEN),
                telegram_api_url=fake.base_url,
                telegram_file_url=fake.base_file_url,
                telegram_overall_rate=rate,
                database=db,
                rate_limit=1000,
                _env_file=None,  # type: ignore[call-arg]
            )
            service = await build_service(config)
            app = tg.build(service, config)
            async with app:
                await app.start()
                assert app.updater is not None
                await app.updater.start_polling(poll_interval=0.0, timeout=1)
                if mode == "steady":
                    results["baseline_start_n1"] = await _scenario(
                        fake, 1, 20, 0.05, "/start", False
                    )
                rows = []
                for n in users:
                    if mode == "steady":
                        rows.append(await _scenario(fake, n, 3, max(1.0, n / 25), "/name", False))
                    else:
                        rows.append(await _scenario(fake, n, 1, 0.0, "/name", True))
                results[mode] = rows
                await app.updater.stop()
                await app.stop()
            await close_service(service)
    finally:
        await fake.stop()
    results["target"] = "steady N=200: p99 < 250 ms, no errors, no lost replies"
    steady = results["steady"]
    assert isinstance(steady, list)
    last = steady[-1]
    results["meets_target"] = last["users"] == 200 and last["p99_ms"] < 250 and last["lost"] == 0
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--users", type=int, nargs="+", default=[1, 50, 200])
    args = ap.parse_args()
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(_run(args.users, Path(tmp) / "bench.sqlite3"))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
