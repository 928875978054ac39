"""The PostgreSQL engine (asyncpg): a pool, one connection per transaction, `?` as `$n`."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit

import asyncpg

from storage.db.errors import opening_error, translated
from storage.db.types import Begin, Database, Row, Transaction, redact
from storage.errors import DatabaseUnavailable

# Any constant shared by every Namesmith process: the key of the advisory lock around migrations.
_MIGRATION_LOCK = 0x6E616D65736D  # "namesm"


@functools.lru_cache(maxsize=1024)
def numbered(sql: str) -> str:
    """`?` placeholders as PostgreSQL's `$1, $2, ...` (a `?` inside '...' is left alone)."""
    out: list[str] = []
    n, quoted = 0, False
    for ch in sql:
        if ch == "'":
            quoted = not quoted
        elif ch == "?" and not quoted:
            n += 1
            out.append(f"${n}")
            continue
        out.append(ch)
    return "".join(out)


def _affected(status: str) -> int:
    """Rows changed, from a command tag such as "DELETE 3" or "INSERT 0 1"."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


def _connect_params(url: str) -> dict[str, Any]:
    """asyncpg keyword arguments from a postgresql:// URL, without ever echoing the URL."""
    try:
        parts: SplitResult = urlsplit(url)
        port = parts.port
    except ValueError:
        raise DatabaseUnavailable(
            f"the database URL {redact(url)} cannot be read; the form is "
            "postgresql://user:password@host:port/database"
        ) from None
    params: dict[str, Any] = {
        "host": parts.hostname or "localhost",
        "port": port or 5432,
        "user": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
        "database": unquote(parts.path.lstrip("/")) or None,
    }
    for option in filter(None, parts.query.split("&")):
        name, _, value = option.partition("=")
        if name == "sslmode":
            params["ssl"] = unquote(value)
        elif name == "host":
            params["host"] = unquote(value)
        else:
            raise DatabaseUnavailable(
                f"the database URL {redact(url)} has an option Namesmith does not know: "
                f"{name!r} (known: sslmode, host)"
            )
    return params


class _PgTransaction(Transaction):
    def __init__(self, conn: asyncpg.pool.PoolConnectionProxy[Any]) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return _affected(await self._conn.execute(numbered(sql), *params))

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row: Row | None = await self._conn.fetchrow(numbered(sql), *params)
        return row

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return list(await self._conn.fetch(numbered(sql), *params))

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._conn.executemany(numbered(sql), [tuple(r) for r in rows])

    async def run_script(self, sql: str) -> None:
        await self._conn.execute(sql)  # no parameters: the simple protocol runs a whole script


class PostgresDatabase(Database):
    """A pool of connections; each transaction borrows one. asyncpg rolls back a transaction
    left by a cancelled task, and a connection whose reset fails is closed, not reused."""

    dialect = "postgresql"

    def __init__(self, pool: asyncpg.Pool[Any], where: str) -> None:
        super().__init__(where)
        self._pool = pool

    @classmethod
    async def open(cls, url: str, *, pool_size: int = 10) -> PostgresDatabase:
        where = redact(url)
        params = _connect_params(url)
        try:
            pool: asyncpg.Pool[Any] = await asyncpg.create_pool(
                **params, min_size=1, max_size=pool_size, timeout=10
            )
        except (asyncpg.PostgresError, asyncpg.InterfaceError, ValueError, OSError) as exc:
            # from None: the driver's message may hold the URL, password included
            raise opening_error(exc, cls.dialect, where) from None
        return cls(pool, where)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        with translated(self.dialect, self.where):
            async with self._pool.acquire() as conn, conn.transaction():
                yield _PgTransaction(conn)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with translated(self.dialect, self.where):
            return list(await self._pool.fetch(numbered(sql), *params))

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        with translated(self.dialect, self.where):
            row: Row | None = await self._pool.fetchrow(numbered(sql), *params)
        return row

    @asynccontextmanager
    async def migrating(self) -> AsyncIterator[Begin]:
        """A session-level advisory lock on one connection, whose transactions then migrate.

        Each step is a new transaction on that connection, so it sees (catalog caches included)
        what another process committed while this one waited for the lock. A process that dies
        releases the lock with its session.
        """
        async with self._pool.acquire() as conn:
            await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
            try:

                @asynccontextmanager
                async def begin() -> AsyncIterator[Transaction]:
                    async with conn.transaction():
                        yield _PgTransaction(conn)

                yield begin
            finally:
                # If this is cancelled, releasing the connection resets it, which unlocks too.
                await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)

    async def read_version(self, tx: Transaction) -> int:
        exists = await tx.fetchone("SELECT to_regclass('schema_version') IS NOT NULL")
        if not exists or not exists[0]:
            return 0
        row = await tx.fetchone("SELECT max(version) FROM schema_version")
        return int(row[0]) if row and row[0] is not None else 0

    async def write_version(self, tx: Transaction, version: int) -> None:
        await tx.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        await tx.execute("DELETE FROM schema_version")
        await tx.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))

    async def run_script(self, tx: Transaction, sql: str) -> None:
        assert isinstance(tx, _PgTransaction)
        await tx.run_script(sql)

    async def close(self) -> None:
        await self._pool.close()
