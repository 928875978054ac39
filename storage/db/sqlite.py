"""The SQLite engine (aiosqlite): one file, one connection, one lock; PRAGMAs and WAL."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from storage.db.errors import opening_error, translated
from storage.db.migrate import refuse_newer, statements
from storage.db.types import Begin, Database, Row, Transaction
from storage.errors import DatabaseDamaged, DatabaseNotWritable


class _SqliteTransaction(Transaction):
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        async with self._conn.execute(sql, tuple(params)) as cur:
            return int(cur.rowcount)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        async with self._conn.execute(sql, tuple(params)) as cur:
            row: sqlite3.Row | None = await cur.fetchone()
            return row

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self._conn.execute(sql, tuple(params)) as cur:
            return list(await cur.fetchall())

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._conn.executemany(sql, [tuple(r) for r in rows])


class SqliteDatabase(Database):
    """One file, one connection (one worker thread), one lock: statements never interleave."""

    dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection, where: str) -> None:
        super().__init__(where)
        self._conn = conn
        self._lock = asyncio.Lock()
        self._file = self._identity()  # the file opened; a write checks it is still there

    @classmethod
    async def open(cls, path: str | Path) -> SqliteDatabase:
        where = str(path)
        if where != ":memory:":
            folder = Path(where).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseNotWritable(
                    f"cannot create the folder {folder} for the database {where}: "
                    f"{exc.strerror or exc}; it must be writable by the user running Namesmith"
                ) from None
        try:
            # isolation_level=None: the sqlite3 module opens no transactions of its own; we do.
            conn = await aiosqlite.connect(where, isolation_level=None)
        except sqlite3.Error as exc:
            raise opening_error(exc, cls.dialect, where) from exc
        conn.row_factory = sqlite3.Row
        db = cls(conn, where)
        try:
            await db._configure()  # refuses a newer or damaged file before anything writes to it
        except sqlite3.Error as exc:
            await conn.close()
            raise opening_error(exc, cls.dialect, where) from exc
        except BaseException:
            await conn.close()
            raise
        return db

    async def _configure(self) -> None:
        await self._conn.execute("PRAGMA foreign_keys=ON")
        await self._conn.execute("PRAGMA busy_timeout=5000")
        async with self._conn.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        version = int(row[0]) if row else 0
        refuse_newer(self.dialect, version)
        if self.where != ":memory:":
            async with self._conn.execute("PRAGMA quick_check") as cur:
                problems = [str(r[0]) for r in await cur.fetchall()]
            if problems != ["ok"]:
                raise DatabaseDamaged(
                    f"the database file {self.where} is damaged (quick_check: "
                    f"{'; '.join(problems[:3])}); restore it from a backup, or salvage what is "
                    f"left with `sqlite3 {self.where} .recover`, then start again"
                )
        await self._conn.execute("PRAGMA journal_mode=WAL")  # rewrites the file header
        await self._conn.execute("PRAGMA synchronous=NORMAL")  # with WAL: survives a crash
        # A read-only file (or folder, for the WAL file) fails here rather than at the first
        # save: rewrite the version with itself, then roll back.
        await self._conn.execute("BEGIN IMMEDIATE")
        try:
            await self._conn.execute(f"PRAGMA user_version = {version}")
        finally:
            await self._conn.rollback()

    def _identity(self) -> tuple[int, int] | None:
        """(device, inode) of the database file now; None in memory or when it is gone."""
        if self.where == ":memory:":
            return None
        try:
            found = os.stat(self.where)
        except OSError:
            return None
        return found.st_dev, found.st_ino

    def _still_there(self) -> None:
        """A file deleted (or replaced) under a running bot keeps taking writes into the
        unlinked inode, lost at the next start: refuse them, and say so, instead."""
        if self._file is not None and self._identity() != self._file:
            raise DatabaseNotWritable(
                f"the database file {self.where} was deleted or replaced while the bot ran; "
                "nothing more is saved until the bot restarts (on a restored file, or a new one)"
            )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error or cancellation; one at a time."""
        self._still_there()
        with translated(self.dialect, self.where):
            async with self._lock:
                try:
                    await self._conn.execute("BEGIN IMMEDIATE")
                    yield _SqliteTransaction(self._conn)
                    await self._conn.execute("COMMIT")
                except BaseException:
                    # A cancelled await does not stop its statement: aiosqlite's one thread still
                    # runs it. The rollback is queued behind it, so it runs after whatever was
                    # sent (BEGIN included), and is a no-op when no transaction is open.
                    with contextlib.suppress(sqlite3.Error, ValueError):
                        await self._conn.rollback()
                    raise

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with translated(self.dialect, self.where):
            async with self._lock, self._conn.execute(sql, tuple(params)) as cur:
                return list(await cur.fetchall())

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        with translated(self.dialect, self.where):
            async with self._lock, self._conn.execute(sql, tuple(params)) as cur:
                row: sqlite3.Row | None = await cur.fetchone()
                return row

    @property
    def in_transaction(self) -> bool:
        """Whether the connection is inside a transaction (none should be left open)."""
        return bool(self._conn.in_transaction)

    @asynccontextmanager
    async def migrating(self) -> AsyncIterator[Begin]:
        yield self.transaction  # BEGIN IMMEDIATE admits one writer at a time

    async def read_version(self, tx: Transaction) -> int:
        row = await tx.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def write_version(self, tx: Transaction, version: int) -> None:
        # PRAGMA takes no parameters; version is an int we parsed ourselves.
        await tx.execute(f"PRAGMA user_version = {int(version)}")

    async def run_script(self, tx: Transaction, sql: str) -> None:
        for stmt in statements(sql):
            await tx.execute(stmt)

    async def close(self) -> None:
        await self._conn.close()
