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
    block = out.split("english · t=0.7 · starts Eld\n", 1)[1].splitlines()
    names = [line.split("] ", 1)[1].removesuffix(" ✓") for line in block[:5]]
    assert [line.split("]")[0] for line in block[:5]] == [f"  [{i}" for i in range(1, 6)]
    assert all(n.startswith("Eld") for n in names)
    menu = next(line for line in block[5:] if not line.startswith("("))  # after the asides
    assert menu.startswith("[1-5] ⭐ save   [6] 🔄 more like this   [7] 🎲 ")
    choices = [line for line in out.splitlines() if line.startswith("[")]
    assert choices
    assert all(len(line) <= 80 for line in choices)
    first = names[0]
    assert out.count(first) >= 2  # listed once, then saved, then in /favs
    assert f"⭐ {first}" not in out  # each name is printed once, not again as a button
    assert f"⭐ Saved {first}. You have 1 favourite." in out
    assert f"1. {first} (english" in out
    assert "elf · female · t=1" in out
    assert "⚠️ two prefixes: 'Eld' and 'hot'" in out
    assert "--- namesmith-favourites.csv ---" in out
    assert "Traceback" not in out + run.stderr


def test_end_of_input_ends_the_chat(tmp_path: Path) -> None:
    run = _chat(tmp_path, ["/start"])
    assert run.returncode == 0
    assert "Hi! I invent names" in run.stdout


def test_stats_in_the_console(tmp_path: Path) -> None:
    run = _chat(tmp_path, ["/name 4", "/stats"])
    assert "Names served: 4" in run.stdout


def test_a_number_before_any_reply_says_what_numbers_do(tmp_path: Path) -> None:
    run = _chat(tmp_path, ["3"])
    assert "Numbers press the choices listed under a reply; there are none yet." in run.stdout


def test_no_log_lines_in_the_console(tmp_path: Path) -> None:
    run = _chat(tmp_path, ["/name", "/frob"])
    assert " INFO " not in run.stdout + run.stderr


def test_ctrl_c_quits_at_once(tmp_path: Path) -> None:
    """SIGINT while the chat waits for a line ends it, without waiting for Enter."""
    import signal
    import time

    env = {
        **os.environ,
        "NAMESMITH_DATABASE": str(tmp_path / "db.sqlite3"),
        "NAMESMITH_MODELS_DIR": str(tmp_path / "models"),
        "NAMESMITH_TELEGRAM_TOKEN": "",
    }
    with subprocess.Popen(
        [str(NAMESMITH), "chat"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        assert "Namesmith console" in proc.stdout.readline()  # waiting at the prompt now
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=20)  # stdin stays open: only the signal can end it
        finally:
            proc.kill()
        err = proc.stderr.read()
    assert code == 0
    assert "Traceback" not in err


def test_a_typed_yes_or_no_answers_the_question(tmp_path: Path) -> None:
    yes = _chat(tmp_path, ["/fav Anna", "/unfav all", "yes", "favs"]).stdout
    assert "Forgot all 1 favourite." in yes and "No favourites yet" in yes
    (tmp_path / "no").mkdir()
    no = _chat(tmp_path / "no", ["/fav Anna", "/unfav all", "no", "favs"]).stdout
    assert "Nothing was changed." in no and "1. Anna" in no


def test_the_one_user_of_the_console_is_never_slowed_down(tmp_path: Path) -> None:
    run = _chat(tmp_path, ["/start"] * 23)
    assert run.stdout.count("Hi! I invent names") == 23
    assert "Slow down" not in run.stdout


def test_a_party_and_a_table_in_the_console(tmp_path: Path) -> None:
    run = _chat(tmp_path, ["/party elf dwarf", "/table orc 3", "/quit"])
    assert run.returncode == 0, run.stderr
    block = run.stdout.split("party of 2\n", 1)[1].splitlines()
    assert block[0].startswith("  [1] ")
    assert block[0].rsplit(" — ", 1)[1] in ("elf, female", "elf, male")
    assert " — dwarf, " in block[1]  # each member says its race, as on the other platforms
    table = run.stdout.split("d3 · orc · t=1", 1)[1].splitlines()[1:4]
    assert [line[:6] for line in table] == ["  [1] ", "  [2] ", "  [3] "]
    assert not any(line[6:].lstrip()[:1].isdigit() for line in table)  # numbered once


def _namesmith(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "NAMESMITH_DATABASE": str(tmp_path / "db.sqlite3"),
        "NAMESMITH_MODELS_DIR": str(tmp_path / "models"),
    }
    return subprocess.run(
        [str(NAMESMITH), *args], capture_output=True, text=True, env=env, cwd=tmp_path,
        timeout=120, check=False,
    )  # fmt: skip


def test_npc_party_and_table_from_the_command_line(tmp_path: Path) -> None:
    party = _namesmith(tmp_path, "party", "elf", "dwarf")
    assert party.returncode == 0, party.stderr
    header, elf, dwarf = party.stdout.splitlines()[:3]
    assert header == "party of 2" and " — elf, " in elf and " — dwarf, " in dwarf
    npc = _namesmith(tmp_path, "npc", "orc", "female")
    assert npc.returncode == 0 and npc.stdout.strip().endswith(" — orc, female")
    table = _namesmith(tmp_path, "table", "elf", "3")
    assert table.returncode == 0
    assert [line[:4] for line in table.stdout.splitlines()[1:4]] == [" 1. ", " 2. ", " 3. "]
    refused = _namesmith(tmp_path, "party", "elf", "klingon")
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.startswith("namesmith: unknown style 'klingon'")
    assert "Traceback" not in party.stderr + npc.stderr + table.stderr + refused.stderr
