"""One SQLite file through aiosqlite: PRAGMAs, numbered forward-only migrations, transactions.

Every public operation of the repositories runs under one lock on the one connection, so a
transaction never interleaves with another coroutine's statements.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from storage.errors import DatabaseTooNew

log = logging.getLogger(__name__)

_MIGRATION = re.compile(r"V(\d+)__(\w+)\.sql")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every migration shipped with the package, in order."""
    found = []
    for entry in resources.files("storage").joinpath("migrations").iterdir():
        m = _MIGRATION.fullmatch(entry.name)
        if m:
            found.append((int(m[1]), m[2], entry.read_text(encoding="utf-8")))
    found.sort()
    if [v for v, _, _ in found] != list(range(1, len(found) + 1)):
        raise RuntimeError("storage migrations must be numbered 1, 2, 3, ... without gaps")
    return found


def statements(sql: str) -> Iterable[str]:
    """Split a script into complete statements (sqlite3 decides where one ends)."""
    pending = ""
    for line in sql.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending.strip()
            pending = ""
    if pending.strip() and not pending.strip().startswith("--"):
        yield pending.strip()


class Database:
    """The connection, its lock and its transactions; repositories borrow it."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path) -> Database:
        path = str(path)
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: the sqlite3 module opens no transactions of its own; we do.
        conn = await aiosqlite.connect(path, isolation_level=None)
        conn.row_factory = sqlite3.Row
        db = cls(conn)
        try:
            await db._configure()  # refuses a newer file before anything writes to it
            await db._migrate()
        except BaseException:
            await conn.close()
            raise
        return db

    async def _configure(self) -> None:
        await self._conn.execute("PRAGMA foreign_keys=ON")
        await self._conn.execute("PRAGMA busy_timeout=5000")
        current, known = await self.schema_version(), len(migrations())
        if current > known:
            raise DatabaseTooNew(
                f"the database was written by a newer Namesmith (schema {current}; this version "
                f"knows up to {known}); it was not changed. Upgrade Namesmith."
            )
        await self._conn.execute("PRAGMA journal_mode=WAL")  # rewrites the file header
        await self._conn.execute("PRAGMA synchronous=NORMAL")  # with WAL: survives a crash

    async def schema_version(self) -> int:
        async with self._conn.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def _migrate(self) -> None:
        known, current = migrations(), await self.schema_version()
        for version, name, sql in known[current:]:
            async with self.transaction() as conn:
                for stmt in statements(sql):
                    await conn.execute(stmt)
                # PRAGMA takes no parameters; version is an int we parsed ourselves.
                await conn.execute(f"PRAGMA user_version = {int(version)}")
            log.info("storage migrated to schema %d (%s)", version, name)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error; one at a time."""
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")

    async def fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        async with self._lock, self._conn.execute(sql, tuple(params)) as cur:
            return list(await cur.fetchall())

    async def fetchone(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        async with self._lock, self._conn.execute(sql, tuple(params)) as cur:
            row: sqlite3.Row | None = await cur.fetchone()
            return row

    async def close(self) -> None:
        await self._conn.close()
