"""`namesmith run` as deployed: configured from the environment, stopped by SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

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


async def test_run_serves_its_operator_port_from_the_environment(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    with socket.socket() as s:  # a free port on 127.0.0.1
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = _env(fake.base_url, tmp_path, NAMESMITH_METRICS_LISTEN=f"127.0.0.1:{port}")
    proc = await asyncio.create_subprocess_exec(
        str(NAMESMITH), "run", env=env, cwd=tmp_path, stderr=asyncio.subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session, asyncio.timeout(60):
            while True:  # ready once the models are loaded and Telegram is polled
                try:
                    async with session.get(f"{base}/readyz") as response:
                        ready = response.status == 200
                except aiohttp.ClientConnectionError:
                    ready = False
                if ready:
                    break
                await asyncio.sleep(0.1)
            fake.command("/name Eld 0.7 3")
            await fake.wait_sent(1)
            async with session.get(f"{base}/metrics") as response:
                metrics = await response.text()
            async with session.get(f"{base}/healthz") as response:
                assert await response.text() == "ok\n"
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert 'namesmith_commands_total{command="name",outcome="ok"} 1.0' in metrics
    assert 'namesmith_platform_connected{platform="telegram"} 1.0' in metrics
    assert proc.returncode == 0, err.decode()


def _env(fake_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "NAMESMITH_TELEGRAM_TOKEN": TOKEN,
        "NAMESMITH_TELEGRAM_API_URL": fake_url,
        "NAMESMITH_TELEGRAM_FILE_URL": fake_url,
        "NAMESMITH_DATABASE": str(tmp_path / "db.sqlite3"),
        "NAMESMITH_MODELS_DIR": str(tmp_path / "models"),
        "NAMESMITH_LOG_LEVEL": "DEBUG",
        **extra,
    }


async def _exit(env: dict[str, str], cwd: Path) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        str(NAMESMITH), "run", env=env, cwd=cwd, stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, err.decode()


def _last_line(log: str) -> str:
    """The one line a fatal error ends with (debug logs from other threads may trail it)."""
    (line,) = [line for line in log.splitlines() if line.startswith("namesmith: ")]
    return line


def _no_secret(log: str) -> None:
    assert TOKEN not in log
    assert TOKEN.split(":")[1] not in log


async def test_a_rejected_token_ends_in_one_line(fake: FakeTelegram, tmp_path: Path) -> None:
    fake.token_rejected = True
    code, log = await _exit(_env(fake.base_url, tmp_path), tmp_path)
    assert code == 1
    assert _last_line(log) == (
        "namesmith: Telegram rejected the bot token (NAMESMITH_TELEGRAM_TOKEN); "
        "check it with @BotFather"
    )
    _no_secret(log)


async def test_a_token_revoked_while_running_exits(fake: FakeTelegram, tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        str(NAMESMITH),
        "run",
        env=_env(fake.base_url, tmp_path),
        cwd=tmp_path,
        stderr=asyncio.subprocess.PIPE,
    )
    fake.command("/start")
    await fake.wait_sent(1)
    fake.token_rejected = True
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    log = err.decode()
    assert proc.returncode == 1
    assert _last_line(log).startswith("namesmith: Telegram rejected the bot token while running")
    _no_secret(log)


async def test_an_unreachable_api_is_retried_then_given_up(tmp_path: Path) -> None:
    closed = "http://127.0.0.1:9/bot"  # the discard port: nothing listens there
    env = _env(closed, tmp_path, NAMESMITH_TELEGRAM_START_PATIENCE="3")
    code, log = await _exit(env, tmp_path)
    assert code == 1
    assert "telegram: API unreachable (NetworkError), try 1; again in 2 s" in log
    assert _last_line(log).startswith("namesmith: cannot reach the Telegram API after ")
    assert "Traceback" not in log
    _no_secret(log)


async def test_a_database_that_cannot_be_created_ends_in_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the database folder should be")
    env = _env("http://127.0.0.1:9/bot", tmp_path, NAMESMITH_DATABASE=str(blocker / "db.sqlite3"))
    code, log = await _exit(env, tmp_path)
    assert code == 1
    assert _last_line(log).startswith("namesmith: cannot start: ")
    assert "Traceback" not in log


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("NAMESMITH_LOG_LEVEL", "verbose", "NAMESMITH_LOG_LEVEL: must be one of DEBUG, INFO"),
        ("NAMESMITH_SAMPLING_THREADS", "0", "NAMESMITH_SAMPLING_THREADS: Input should be greater"),
        ("NAMESMITH_ADMINS", "123", "NAMESMITH_ADMINS: '123' not understood; write platform keys"),
        ("NAMESMITH_RATE_PERIOD", "soon", "NAMESMITH_RATE_PERIOD: Input should be a valid number"),
        ("NAMESMITH_METRICS_LISTEN", "9108", "NAMESMITH_METRICS_LISTEN: write host:port or :port"),
        (
            "NAMESMITH_MODELS_POLL_SECONDS",
            "-1",
            "NAMESMITH_MODELS_POLL_SECONDS: Input should be greater than or equal to 0",
        ),
    ],
)
async def test_bad_configuration_is_refused_naming_the_variable(
    tmp_path: Path, variable: str, value: str, message: str
) -> None:
    env = _env("http://127.0.0.1:9/bot", tmp_path, **{variable: value})
    code, log = await _exit(env, tmp_path)
    assert code == 2
    assert log.strip().startswith("namesmith: bad configuration: " + message)
    assert len(log.strip().splitlines()) == 1
    _no_secret(log)


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        (None, "required when NAMESMITH_TELEGRAM_WEBHOOK_URL is set"),
        ("not a valid secret!", "must be 16 to 256 characters of A-Z, a-z, 0-9, _ and -"),
    ],
)
async def test_a_webhook_needs_a_valid_secret_and_never_shows_it(
    tmp_path: Path, secret: str | None, message: str
) -> None:
    extra = {"NAMESMITH_TELEGRAM_WEBHOOK_URL": "https://bot.example.com/telegram"}
    if secret is not None:
        extra["NAMESMITH_TELEGRAM_WEBHOOK_SECRET"] = secret
    code, log = await _exit(_env("http://127.0.0.1:9/bot", tmp_path, **extra), tmp_path)
    assert code == 2
    variable = "NAMESMITH_TELEGRAM_WEBHOOK_SECRET"
    assert log.strip().startswith(f"namesmith: bad configuration: {variable}: {message}")
    assert len(log.strip().splitlines()) == 1
    if secret is not None:
        assert secret not in log
    _no_secret(log)
