"""The database layer: one interface, two engines.

`connect(target)` opens an SQLite file (a path, through aiosqlite) or a PostgreSQL server (a
`postgresql://user:password@host:port/db` URL, through an asyncpg pool) and migrates it. The layer
owns the connection or pool, transactions (cancellation-safe), placeholders and the dialect
differences; repositories write one SQL text with `?` placeholders and borrow a `Transaction`.

SQL the repositories write must run on both engines: `?` placeholders (numbered `$1..` for
PostgreSQL here), `INSERT ... ON CONFLICT ... DO NOTHING/UPDATE` with `excluded.`, `RETURNING`,
`CAST(? AS TEXT)` where a bare parameter has no type, booleans passed as Python `bool`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import sqlite3
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar, Protocol
from urllib.parse import SplitResult, unquote, urlsplit

import aiosqlite
import asyncpg

from storage import values
from storage.errors import (
    DatabaseDamaged,
    DatabaseNotWritable,
    DatabaseTooNew,
    DatabaseUnavailable,
    StorageError,
    StorageFull,
)

log = logging.getLogger(__name__)

_MIGRATION = re.compile(r"V(\d+)__(\w+)\.sql")
DIALECTS = ("sqlite", "postgresql")
# Any constant shared by every Namesmith process: the key of the advisory lock around migrations.
_MIGRATION_LOCK = 0x6E616D65736D  # "namesm"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class Row(Protocol):
    """A result row, by position or by column name (sqlite3.Row, asyncpg.Record)."""

    def __getitem__(self, key: int | str, /) -> Any: ...
    def __iter__(self) -> Iterator[Any]: ...
    def __len__(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations(dialect: str) -> list[Migration]:
    """Every migration shipped for `dialect` ("sqlite" or "postgresql"), in order."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}")
    found = []
    for entry in resources.files("storage").joinpath("migrations").joinpath(dialect).iterdir():
        m = _MIGRATION.fullmatch(entry.name)
        if m:
            found.append(Migration(int(m[1]), m[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
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


def is_postgres(target: str | Path) -> bool:
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def redact(target: str | Path) -> str:
    """Where the database is, safe to print or log: a path, or a URL with its password hidden."""
    if not is_postgres(target):
        return str(target)
    try:
        url = urlsplit(str(target))
        host = url.hostname or ""
        port = f":{url.port}" if url.port else ""
    except ValueError:
        return "postgresql://(a URL that cannot be read)"
    user = f"{url.username}:***@" if url.password else (f"{url.username}@" if url.username else "")
    return f"{url.scheme}://{user}{host}{port}{url.path}"


# --- the interface ------------------------------------------------------------------------------


class Transaction(ABC):
    """Statements inside one open transaction; only valid inside `Database.transaction()`."""

    @abstractmethod
    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run a statement; returns the number of rows it changed."""

    @abstractmethod
    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...

    @abstractmethod
    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    @abstractmethod
    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for each parameter row."""


Begin = Callable[[], contextlib.AbstractAsyncContextManager[Transaction]]


class Database(ABC):
    """One engine's connection(s), transactions and migrations; repositories borrow it."""

    dialect: ClassVar[str]

    def __init__(self, where: str) -> None:
        self.where = where  # a path or a redacted URL: safe to show

    @abstractmethod
    def transaction(self) -> contextlib.AbstractAsyncContextManager[Transaction]:
        """Commit when the block ends, roll back on any exception or cancellation."""

    @abstractmethod
    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    @abstractmethod
    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...

    @abstractmethod
    async def close(self) -> None: ...

    async def schema_version(self) -> int:
        async with self.transaction() as tx:
            return await self._read_version(tx)

    @abstractmethod
    async def _read_version(self, tx: Transaction) -> int: ...

    @abstractmethod
    async def _write_version(self, tx: Transaction, version: int) -> None: ...

    @abstractmethod
    async def _run_script(self, tx: Transaction, sql: str) -> None: ...

    @abstractmethod
    def _migrating(self) -> contextlib.AbstractAsyncContextManager[Begin]:
        """Keep other processes from migrating meanwhile; yields how to begin a transaction."""

    def _refuse_newer(self, current: int) -> None:
        known = len(migrations(self.dialect))
        if current > known:
            raise DatabaseTooNew(
                f"the database was written by a newer Namesmith (schema {current}; this version "
                f"knows up to {known}); it was not changed. Upgrade Namesmith."
            )

    async def migrate(self) -> int:
        """Apply the missing migrations, each with its version bump in one transaction.

        Another process may start at the same time: under the migration lock each step re-reads
        the version and skips what is already done. Returns the schema version.
        """
        async with self._migrating() as begin:
            for m in migrations(self.dialect):
                async with begin() as tx:
                    current = await self._read_version(tx)
                    self._refuse_newer(current)  # before anything is written
                    if current >= m.version:
                        continue
                    await self._run_script(tx, m.sql)
                    if step := _DATA_STEPS.get(m.version):
                        await step(tx)
                    await self._write_version(tx, m.version)
                log.info("storage migrated to schema %d (%s)", m.version, m.name)
        return await self.schema_version()


async def connect(target: str | Path, *, pool_size: int = 10) -> Database:
    """Open and migrate the database at `target`: a path (SQLite) or a postgresql:// URL."""
    db: Database
    if is_postgres(target):
        db = await PostgresDatabase.open(str(target), pool_size=pool_size)
    else:
        db = await SqliteDatabase.open(target)
    try:
        await db.migrate()
    except BaseException:
        await db.close()
        raise
    return db


# --- data steps of migrations (what SQL alone cannot do) -----------------------------------------


async def _normalise_favourite_names(tx: Transaction) -> None:
    """Schema 3: names become NFC with a case-insensitive key; of names that now coincide for one
    user, the oldest is kept."""
    rows = await tx.fetchall("SELECT id, user_key, name FROM favourites ORDER BY id")
    seen: set[tuple[str, str]] = set()
    keep: list[tuple[int, str, str]] = []
    for row_id, user, name in rows:
        fixed = unicodedata.normalize("NFC", name)
        key = values.name_key(fixed)
        if (user, key) in seen:
            await tx.execute("DELETE FROM favourites WHERE id = ?", (row_id,))
        else:
            seen.add((user, key))
            keep.append((row_id, fixed, key))
    for row_id, fixed, key in keep:
        await tx.execute(
            "UPDATE favourites SET name = ?, name_key = ? WHERE id = ?", (fixed, key, row_id)
        )


_DATA_STEPS: dict[int, Callable[[Transaction], Awaitable[None]]] = {
    3: _normalise_favourite_names,
}


# --- SQLite -------------------------------------------------------------------------------------


def _sqlite_error(exc: sqlite3.Error, where: str) -> StorageError:
    """What an SQLite error at start-up means for the operator."""
    return _sqlite_runtime_error(exc, where) or DatabaseUnavailable(
        f"the database {where} failed: {exc}"
    )


def _sqlite_runtime_error(exc: sqlite3.Error, where: str) -> StorageError | None:
    """What an SQLite error means, if it is one we can name (else None: a bug, logged as such)."""
    text = str(exc).lower()
    if "database or disk is full" in text:
        return StorageFull(
            "the disk holding the database is full, so nothing can be saved right now; "
            "names still work, and saving works again once space is freed"
        )
    if "file is not a database" in text:
        return DatabaseDamaged(
            f"{where} is not an SQLite database; point NAMESMITH_DATABASE at the Namesmith "
            "database, or move this file away to start with an empty one"
        )
    if "malformed" in text or "corrupt" in text:
        return DatabaseDamaged(
            f"the database file {where} is damaged ({exc}); restore it from a backup, or "
            f"salvage what is left with `sqlite3 {where} .recover`, then start again"
        )
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return DatabaseNotWritable(
            f"cannot write the database {where} ({exc}); the file and its folder must be "
            "writable by the user running Namesmith (check the permissions, the immutable "
            "flag shown by `lsattr`, and read-only mounts)"
        )
    return None


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
            raise _sqlite_error(exc, where) from exc
        conn.row_factory = sqlite3.Row
        db = cls(conn, where)
        try:
            await db._configure()  # refuses a newer or damaged file before anything writes to it
        except sqlite3.Error as exc:
            await conn.close()
            raise _sqlite_error(exc, where) from exc
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
        self._refuse_newer(version)
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

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error or cancellation; one at a time."""
        async with self._lock:
            try:
                await self._conn.execute("BEGIN IMMEDIATE")
                yield _SqliteTransaction(self._conn)
                await self._conn.execute("COMMIT")
            except BaseException as exc:
                # A cancelled await does not stop its statement: aiosqlite's one thread still
                # runs it. The rollback is queued behind it, so it runs after whatever was sent
                # (BEGIN included), and is a no-op when no transaction is open.
                with contextlib.suppress(sqlite3.Error, ValueError):
                    await self._conn.rollback()
                if isinstance(exc, sqlite3.Error) and (
                    mapped := _sqlite_runtime_error(exc, self.where)
                ):
                    raise mapped from exc
                raise

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        try:
            async with self._lock, self._conn.execute(sql, tuple(params)) as cur:
                return list(await cur.fetchall())
        except sqlite3.Error as exc:
            if mapped := _sqlite_runtime_error(exc, self.where):
                raise mapped from exc
            raise

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        try:
            async with self._lock, self._conn.execute(sql, tuple(params)) as cur:
                row: sqlite3.Row | None = await cur.fetchone()
                return row
        except sqlite3.Error as exc:
            if mapped := _sqlite_runtime_error(exc, self.where):
                raise mapped from exc
            raise

    @property
    def in_transaction(self) -> bool:
        """Whether the connection is inside a transaction (none should be left open)."""
        return bool(self._conn.in_transaction)

    @asynccontextmanager
    async def _migrating(self) -> AsyncIterator[Begin]:
        yield self.transaction  # BEGIN IMMEDIATE admits one writer at a time

    async def _read_version(self, tx: Transaction) -> int:
        row = await tx.fetchone("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def _write_version(self, tx: Transaction, version: int) -> None:
        # PRAGMA takes no parameters; version is an int we parsed ourselves.
        await tx.execute(f"PRAGMA user_version = {int(version)}")

    async def _run_script(self, tx: Transaction, sql: str) -> None:
        for stmt in statements(sql):
            await tx.execute(stmt)

    async def close(self) -> None:
        await self._conn.close()


# --- PostgreSQL ---------------------------------------------------------------------------------


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


def _pg_error(exc: BaseException, where: str) -> StorageError | None:
    if isinstance(exc, asyncpg.exceptions.DiskFullError):
        return StorageFull(
            "the disk holding the database is full, so nothing can be saved right now; "
            "names still work, and saving works again once space is freed"
        )
    if isinstance(exc, asyncpg.exceptions.ReadOnlySQLTransactionError):
        return DatabaseNotWritable(
            f"the PostgreSQL database at {where} accepts no writes ({exc}); connect to a "
            "primary server with a user that may write"
        )
    if isinstance(
        exc,
        OSError
        | asyncpg.exceptions.PostgresConnectionError
        | asyncpg.exceptions.OperatorInterventionError
        | asyncpg.exceptions.ConnectionDoesNotExistError,
    ):
        return DatabaseUnavailable(
            f"the connection to the PostgreSQL database at {where} failed ({exc}); "
            "try again in a moment"
        )
    return None


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
        except (
            asyncpg.exceptions.InvalidPasswordError,
            asyncpg.exceptions.InvalidAuthorizationSpecificationError,
        ) as exc:
            raise DatabaseUnavailable(
                f"PostgreSQL at {where} refused the login ({exc}); check the user name and "
                "password in NAMESMITH_DATABASE"
            ) from None
        except asyncpg.exceptions.InvalidCatalogNameError as exc:
            raise DatabaseUnavailable(
                f"PostgreSQL at {where} has no such database ({exc}); create it first "
                "(createdb), or fix the database name in NAMESMITH_DATABASE"
            ) from None
        except (OSError, TimeoutError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise DatabaseUnavailable(
                f"cannot reach PostgreSQL at {where} ({reason or type(exc).__name__}); check "
                "that the server is running and the host and port in NAMESMITH_DATABASE"
            ) from None
        except (asyncpg.PostgresError, asyncpg.InterfaceError, ValueError) as exc:
            raise DatabaseUnavailable(
                f"cannot open the PostgreSQL database at {where} ({type(exc).__name__}: {exc})"
            ) from None
        return cls(pool, where)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                yield _PgTransaction(conn)
        except (asyncpg.PostgresError, OSError) as exc:
            mapped = _pg_error(exc, self.where)
            if mapped is None:
                raise
            raise mapped from exc

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        try:
            return list(await self._pool.fetch(numbered(sql), *params))
        except (asyncpg.PostgresError, OSError) as exc:
            mapped = _pg_error(exc, self.where)
            if mapped is None:
                raise
            raise mapped from exc

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        try:
            row: Row | None = await self._pool.fetchrow(numbered(sql), *params)
        except (asyncpg.PostgresError, OSError) as exc:
            mapped = _pg_error(exc, self.where)
            if mapped is None:
                raise
            raise mapped from exc
        return row

    @asynccontextmanager
    async def _migrating(self) -> AsyncIterator[Begin]:
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

    async def _read_version(self, tx: Transaction) -> int:
        exists = await tx.fetchone("SELECT to_regclass('schema_version') IS NOT NULL")
        if not exists or not exists[0]:
            return 0
        row = await tx.fetchone("SELECT max(version) FROM schema_version")
        return int(row[0]) if row and row[0] is not None else 0

    async def _write_version(self, tx: Transaction, version: int) -> None:
        await tx.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        await tx.execute("DELETE FROM schema_version")
        await tx.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))

    async def _run_script(self, tx: Transaction, sql: str) -> None:
        assert isinstance(tx, _PgTransaction)
        await tx._conn.execute(sql)  # no parameters: the simple protocol runs a whole script

    async def close(self) -> None:
        await self._pool.close()
