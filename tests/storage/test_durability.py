"""A writer killed with SIGKILL mid-stream loses nothing it had acknowledged."""

from __future__ import annotations

import asyncio
import random
import selectors
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
from storage.favourites import Favourites

async def main(path, start):
    s = await storage.open(path)
    favourites = Favourites(s.db, limit=10**9)  # a fast writer outgrows the per-user cap
    try:
        i = start
        while True:
            await favourites.add("tg:1", f"N{i}", style="english")
            print(i, flush=True)  # acknowledged: the transaction has committed
            i += 1
    finally:
        await s.close()

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""
FIRST_WRITE_SECONDS = 60.0


def _run_and_kill(path: Path, start: int, after: float, log: Path) -> list[int]:
    """Start a writer, read its acknowledgements for `after` seconds, then SIGKILL it."""
    with (
        log.open("ab") as err,
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(start)],
            stdout=subprocess.PIPE,
            stderr=err,
        ) as proc,
    ):
        assert proc.stdout is not None
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        data = b""
        started = time.monotonic()
        deadline = None
        while True:
            now = time.monotonic()
            if deadline is None and b"\n" in data:
                deadline = now + after  # it is writing: let it run a while, then kill it
            if deadline is not None and now >= deadline:
                break
            if deadline is None and now - started > FIRST_WRITE_SECONDS:
                proc.kill()
                raise AssertionError(f"the writer never wrote: {log.read_text()}")
            if proc.poll() is not None:
                raise AssertionError(f"the writer died by itself: {log.read_text()}")
            if sel.select(timeout=0.05):
                data += proc.stdout.read1(65536)  # type: ignore[attr-defined]
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        data += proc.stdout.read()  # lines already in the pipe were acknowledged too
        sel.close()
    return [int(x) for x in data.split()]


def test_acknowledged_writes_survive_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "n.sqlite3"
    rng = random.Random(4)
    acked: list[int] = []
    for round_ in range(4):
        acked += _run_and_kill(path, round_ * 1_000_000, rng.uniform(0.05, 0.4), tmp_path / "err")
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
