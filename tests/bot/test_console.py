"""`namesmith chat` as a person uses it: a subprocess fed through stdin, read from stdout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

NAMESMITH = Path(sys.executable).parent / "namesmith"


def _chat(tmp_path: Path, lines: list[str]) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "NAMESMITH_DATABASE": str(tmp_path / "db.sqlite3"),
        "NAMESMITH_MODELS_DIR": str(tmp_path / "models"),
        "NAMESMITH_TELEGRAM_TOKEN": "",
    }
    return subprocess.run(
        [str(NAMESMITH), "chat"],
        input="".join(line + "\n" for line in lines),
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,  # no .env here
        timeout=120,
        check=False,
    )


def test_a_console_session(tmp_path: Path) -> None:
    run = _chat(
        tmp_path,
        ["/name Eld 0.7", "1", "favs", "/name elf female 3", "/name Eld hot", "/export", "/quit"],
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "Namesmith console" in out
    names_block = out.split("english · t=0.7 · starts Eld\n", 1)[1].splitlines()[:5]
    assert all(n.startswith("Eld") for n in names_block)
    first = names_block[0]
    assert f"[1] ⭐ {first}" in out
    assert f"⭐ Saved {first}. You have 1 favourite." in out
    assert f"1. {first} (english" in out
    assert "elf · female · t=1" in out
    assert "⚠️ temperature must be a number between 0.1 and 3, e.g. /name Eld 0.7" in out
    assert "--- namesmith-favourites.txt ---" in out
    assert "Traceback" not in out + run.stderr


def test_end_of_input_ends_the_chat(tmp_path: Path) -> None:
    run = _chat(tmp_path, ["/start"])
    assert run.returncode == 0
    assert "Hi! I invent names" in run.stdout


def test_stats_in_the_console(tmp_path: Path) -> None:
    run = _chat(tmp_path, ["/name 4", "/stats"])
    assert "Names served: 4" in run.stdout
