"""A throwaway PostgreSQL server from the machine's own binaries, for tests and benchmarks.

Started in a temporary folder on a free port of 127.0.0.1, with password authentication, and
removed afterwards. PostgreSQL refuses to run as root (as CI does), so a root process runs the
server as the unprivileged `postgres` user (made by Debian's package) or `nobody`.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

USER = "namesmith"
PASSWORD = "s3cret-pw-do-not-log"  # the tests check that it never reaches a message


def find_bindir() -> Path | None:
    """The folder holding pg_ctl: on PATH, else Debian's /usr/lib/postgresql/<version>/bin."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True, slots=True)
class PgServer:
    host: str
    port: int
    user: str
    password: str

    def url(self, database: str = "postgres", *, password: str | None = None) -> str:
        pw = quote(self.password if password is None else password, safe="")
        return f"postgresql://{self.user}:{pw}@{self.host}:{self.port}/{database}"


class TempPostgres:
    """`with TempPostgres(bindir) as server:` starts a server and removes it on exit."""

    def __init__(self, bindir: Path, *, fast: bool = True) -> None:
        """`fast` turns fsync off (tests); otherwise only synchronous_commit is off, which
        matches SQLite's WAL with synchronous=NORMAL: a crash of the machine may lose the last
        commits, never corrupt the database (benchmarks)."""
        self.bindir = bindir
        self.fast = fast
        self.root = Path(tempfile.mkdtemp(prefix="namesmith-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._run_as: str | None = None
        if os.geteuid() == 0:
            self._run_as = next((u for u in ("postgres", "nobody") if _user_exists(u)), None)
            if self._run_as is None:
                raise RuntimeError("running as root and no unprivileged user to run PostgreSQL")
            entry = pwd.getpwnam(self._run_as)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)

    def _cmd(self, *args: str) -> list[str]:
        prefix = ["runuser", "-u", self._run_as, "--"] if self._run_as else []
        return [*prefix, *args]

    def __enter__(self) -> PgServer:
        pwfile = self.root / "pw"
        pwfile.write_text(PASSWORD + "\n", encoding="utf-8")
        if self._run_as:
            entry = pwd.getpwnam(self._run_as)
            os.chown(pwfile, entry.pw_uid, entry.pw_gid)
        try:
            subprocess.run(
                self._cmd(
                    str(self.bindir / "initdb"), "-D", str(self.data), "-U", USER,
                    "--auth=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8", "--no-locale",
                ),
                check=True, capture_output=True, timeout=120,
            )  # fmt: skip
            self.start()
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            log = self.root / "log"
            detail = log.read_text(errors="replace") if log.exists() else ""
            self._remove()
            stderr = getattr(exc, "stderr", b"") or b""
            raise RuntimeError(
                f"could not start PostgreSQL: {stderr.decode(errors='replace')}{detail}"
            ) from exc
        return PgServer("127.0.0.1", self.port, USER, PASSWORD)

    def start(self) -> None:
        """Start the server (again, after `stop`) on the same port and data."""
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
            "-c synchronous_commit=off -c max_connections=200"
        )
        if self.fast:
            options += " -c fsync=off -c full_page_writes=off"
        subprocess.run(
            self._cmd(
                str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l",
                str(self.root / "log"), "-o", options, "-w", "-t", "60", "start",
            ),
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip

    def stop(self) -> None:
        """Stop the server at once (its clients' connections break), keeping its data."""
        subprocess.run(
            self._cmd(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                      "-w", "stop"),
            capture_output=True, timeout=60, check=False,
        )  # fmt: skip

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self._remove()

    def _remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
