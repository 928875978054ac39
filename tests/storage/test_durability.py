"""A writer killed with SIGKILL mid-stream loses nothing it had acknowledged."""

from __future__ import annotations

import asyncio
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import storage

WRITER = """
import asyncio, sys
import storage

async def main(path, start):
    s = await storage.open(path)
    i = start
    while True:
        await s.favourites.add("tg:1", f"N{i}", style="english")
        print(i, flush=True)  # acknowledged: the transaction has committed
        i += 1

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""


def _run_and_kill(path: Path, start: int, after: float) -> list[int]:
    with subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), str(start)],
        stdout=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdout is not None
        acked = [int(proc.stdout.readline())]  # wait until it writes at all
        deadline = time.monotonic() + after
        while time.monotonic() < deadline and (line := proc.stdout.readline()):
            acked.append(int(line))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # Lines already in the pipe were acknowledged before the kill too.
        acked.extend(int(x) for x in proc.stdout.read().split())
    return acked


def test_acknowledged_writes_survive_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "n.sqlite3"
    rng = random.Random(4)
    acked: list[int] = []
    for round_ in range(4):
        acked += _run_and_kill(path, round_ * 1_000_000, rng.uniform(0.05, 0.4))
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert {f"N{i}" for i in acked} <= asyncio.run(_saved(path))
    assert len(acked) > 4


async def _saved(path: Path) -> set[str]:
    s = await storage.open(path)
    try:
        page = await s.favourites.page("tg:1", per_page=10**6)
        return {f.name for f in page.items}
    finally:
        await s.close()
