"""The interface every engine implements and every repository uses; no driver imported here.

A repository borrows a `Database`, opens `transaction()` and writes one SQL text with `?`
placeholders. An engine (`storage.db.sqlite`, `storage.db.postgres`) subclasses `Database` and
`Transaction`, and supplies the few hooks the migration runner (`storage.db.migrate`) needs.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Protocol
from urllib.parse import urlsplit

from storage.errors import DatabaseUnavailable, StorageError


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


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


class Row(Protocol):
    """A result row, by position or by column name (sqlite3.Row, asyncpg.Record)."""

    def __getitem__(self, key: int | str, /) -> Any: ...
    def __iter__(self) -> Iterator[Any]: ...
    def __len__(self) -> int: ...


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
    """One engine's connection(s), transactions and migrations; repositories borrow it.

    The contract every engine keeps: `transaction()` commits when its block ends and rolls back
    on any exception or cancellation, leaving the connection usable; a driver error that
    `storage.db.errors` can name comes out as that `StorageError` (from the driver's exception),
    anything else as it was raised.
    """

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

    async def ping(self) -> None:
        """One cheap query (SELECT 1): DatabaseUnavailable, or the StorageError the engine
        names, when the database does not answer (a server gone, a connection closed)."""
        try:
            await self.fetchone("SELECT 1")
        except StorageError:
            raise
        except Exception as exc:  # a closed connection or pool says so in its own words
            raise DatabaseUnavailable(
                f"the database {self.where} does not answer ({type(exc).__name__})"
            ) from exc

    async def schema_version(self) -> int:
        async with self.transaction() as tx:
            return await self.read_version(tx)

    # --- hooks for the migration runner ---------------------------------------------------------

    @abstractmethod
    async def read_version(self, tx: Transaction) -> int: ...

    @abstractmethod
    async def write_version(self, tx: Transaction, version: int) -> None: ...

    @abstractmethod
    async def run_script(self, tx: Transaction, sql: str) -> None: ...

    @abstractmethod
    def migrating(self) -> contextlib.AbstractAsyncContextManager[Begin]:
        """Keep other processes from migrating meanwhile; yields how to begin a transaction."""
