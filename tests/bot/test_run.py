"""`namesmith run` as deployed: configured from the environment, stopped by SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.fakes.telegram import TOKEN, FakeTelegram

NAMESMITH = Path(sys.executable).parent / "namesmith"


async def test_run_serves_telegram_and_stops_cleanly_on_sigterm(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "NAMESMITH_TELEGRAM_TOKEN": TOKEN,
        "NAMESMITH_TELEGRAM_API_URL": fake.base_url,
        "NAMESMITH_TELEGRAM_FILE_URL": fake.base_file_url,
        "NAMESMITH_DATABASE": str(tmp_path / "db.sqlite3"),
        "NAMESMITH_MODELS_DIR": str(tmp_path / "models"),
        "NAMESMITH_LOG_LEVEL": "DEBUG",
    }
    proc = await asyncio.create_subprocess_exec(
        str(NAMESMITH), "run", env=env, cwd=tmp_path, stderr=asyncio.subprocess.PIPE
    )
    try:
        fake.command("/name Eld 0.7 3")
        (reply,) = await fake.wait_sent(1)
        assert str(reply.params["text"]).startswith("english · t=0.7 · starts Eld")
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 60)
    log = err.decode()
    assert proc.returncode == 0, log
    assert "stopped cleanly" in log
    assert "platform=telegram command=name outcome=ok" in log
    assert TOKEN not in log
    assert "Traceback" not in log
