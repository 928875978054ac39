"""The database layer: one interface, two engines.

`connect(target)` opens an SQLite file (a path, through aiosqlite) or a PostgreSQL server (a
`postgresql://user:password@host:port/db` URL, through an asyncpg pool) and migrates it. The layer
owns the connection or pool, transactions (cancellation-safe), placeholders and the dialect
differences; repositories write one SQL text with `?` placeholders and borrow a `Transaction`.

SQL the repositories write must run on both engines: `?` placeholders (numbered `$1..` for
PostgreSQL here), `INSERT ... ON CONFLICT ... DO NOTHING/UPDATE` with `excluded.`, `RETURNING`,
`CAST(? AS TEXT)` where a bare parameter has no type, booleans passed as Python `bool`.

    types.py     the interface: Database, Transaction, Row; now(), redact()
    errors.py    the one mapping from driver exceptions to storage's errors
    migrate.py   numbered forward-only migrations and their runner
    sqlite.py    the aiosqlite engine
    postgres.py  the asyncpg engine

Repositories import from here, never from an engine module (an import-linter contract).
"""

from __future__ import annotations

from pathlib import Path

from storage.db.migrate import DIALECTS, Migration, migrations, statements, upgrade
from storage.db.postgres import PostgresDatabase, numbered
from storage.db.sqlite import SqliteDatabase
from storage.db.types import Begin, Database, Row, Transaction, is_postgres, now, redact


async def connect(target: str | Path, *, pool_size: int = 10, migrate: bool = True) -> Database:
    """Open and migrate the database at `target`: a path (SQLite) or a postgresql:// URL.
    With `migrate=False` it is only opened (a database newer than the code is still refused)."""
    db: Database
    if is_postgres(target):
        db = await PostgresDatabase.open(str(target), pool_size=pool_size)
    else:
        db = await SqliteDatabase.open(target)
    if not migrate:
        return db
    try:
        await upgrade(db)
    except BaseException:
        await db.close()
        raise
    return db


__all__ = [
    "DIALECTS",
    "Begin",
    "Database",
    "Migration",
    "PostgresDatabase",
    "Row",
    "SqliteDatabase",
    "Transaction",
    "connect",
    "is_postgres",
    "migrations",
    "now",
    "numbered",
    "redact",
    "statements",
    "upgrade",
]
