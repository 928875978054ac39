"""`namesmith doctor` as an operator runs it: configured from the environment alone, one line
per check, exit 0 on a good deployment and 1 on a bad one, naming the fix and never a token."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from pathlib import Path

import storage
from engine.serving import checkpoint
from engine.serving.trained import NameModel
from storage.db import migrations

NAMESMITH = Path(sys.executable).parent / "namesmith"
GOOD_TOKEN = "123456789:AAH" + "x" * 32  # the shape @BotFather's tokens have
BAD_TOKEN = "123456789:this-is-not-it"
SECRET = "webhook-secret-0123456789abcdef"


async def _doctor(tmp_path: Path, **env: str) -> tuple[int, list[str]]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NAMESMITH_")}
    proc = await asyncio.create_subprocess_exec(
        str(NAMESMITH), "doctor", env=clean | env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    text = out.decode() + err.decode()
    for token in (GOOD_TOKEN, BAD_TOKEN, SECRET):  # not whole, not in part
        assert token not in text and token.split(":")[-1] not in text
    return proc.returncode, text.splitlines()


async def _database(path: Path) -> Path:
    await (await storage.open(path)).close()  # created and migrated, as `namesmith run` leaves it
    return path


async def test_a_good_deployment_passes(tmp_path: Path, tiny_model: NameModel) -> None:
    checkpoint.save(tiny_model, tmp_path / "models" / "gnome.pt")
    code, lines = await _doctor(
        tmp_path,
        NAMESMITH_DATABASE=str(await _database(tmp_path / "db.sqlite3")),
        NAMESMITH_MODELS_DIR=str(tmp_path / "models"),
        NAMESMITH_TELEGRAM_TOKEN=GOOD_TOKEN,
    )
    assert code == 0, lines
    assert all(line.startswith("✓ ") for line in lines), lines
    assert [line.split(":")[0] for line in lines] == [
        "✓ configuration", "✓ database", "✓ models folder", "✓ retrained models",
        "✓ shipped models", "✓ telegram token", "✓ discord token", "✓ webhook",
    ]  # fmt: skip
    assert "✓ retrained models: gnome.pt load" in lines
    assert "✓ telegram token: set, well-formed" in lines
    assert "✓ webhook: skipped: no NAMESMITH_TELEGRAM_WEBHOOK_URL (the bot polls)" in lines


async def test_a_bad_deployment_fails_naming_each_fix(tmp_path: Path) -> None:
    database = await _database(tmp_path / "db.sqlite3")
    with sqlite3.connect(database) as conn:
        conn.execute("PRAGMA user_version = 1")  # a schema older than this code's
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "elf.pt").write_bytes(b"not a checkpoint")
    code, lines = await _doctor(
        tmp_path,
        NAMESMITH_DATABASE=str(database),
        NAMESMITH_MODELS_DIR=str(tmp_path / "models"),
        NAMESMITH_TELEGRAM_TOKEN=BAD_TOKEN,
        NAMESMITH_TELEGRAM_WEBHOOK_URL="https://127.0.0.1:9/telegram",  # nothing listens there
        NAMESMITH_TELEGRAM_WEBHOOK_SECRET=SECRET,
    )
    assert code == 1
    latest = len(migrations("sqlite"))
    failed = {line.split(":")[0]: line for line in lines if line.startswith("✗ ")}
    assert set(failed) == {"✗ database", "✗ retrained models", "✗ telegram token", "✗ webhook"}
    assert failed["✗ database"] == (
        f"✗ database: {database} has schema 1, this Namesmith writes {latest}: run "
        "`namesmith db migrate` (`namesmith run` migrates at start, too)"
    )
    assert "elf.pt" in failed["✗ retrained models"]
    assert failed["✗ retrained models"].endswith(
        "remove or replace them (the shipped model serves those styles meanwhile)"
    )
    assert failed["✗ telegram token"].startswith(
        "✗ telegram token: NAMESMITH_TELEGRAM_TOKEN is set but not well-formed; it should be "
        "digits, a colon, then about 35 letters"
    )
    assert "cannot be reached" in failed["✗ webhook"]
    assert "✓ shipped models: " in "\n".join(lines)


async def test_a_missing_database_says_how_to_create_it(tmp_path: Path) -> None:
    code, lines = await _doctor(
        tmp_path,
        NAMESMITH_DATABASE=str(tmp_path / "nowhere.sqlite3"),
        NAMESMITH_TELEGRAM_TOKEN=GOOD_TOKEN,
    )
    assert code == 1
    assert (
        f"✗ database: {tmp_path / 'nowhere.sqlite3'} does not exist yet; `namesmith db migrate` "
        "creates it (so does `namesmith run`, at start)"
    ) in lines
    assert not (tmp_path / "nowhere.sqlite3").exists()  # the doctor changes nothing


async def test_bad_configuration_is_one_line_naming_the_variable(tmp_path: Path) -> None:
    code, lines = await _doctor(tmp_path, NAMESMITH_METRICS_LISTEN="9108")
    assert code == 1
    assert lines == [
        "✗ configuration: NAMESMITH_METRICS_LISTEN: write host:port or :port, such as "
        "127.0.0.1:9108 or :9108 (got '9108')"
    ]
