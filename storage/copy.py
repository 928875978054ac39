"""`namesmith db copy`: move an SQLite database into an empty PostgreSQL database, verified.

The source is migrated to the current schema first (as `namesmith run` would), read inside one
transaction (a consistent snapshot; writers wait), and written into the target inside one
transaction that also reads every row back and compares it with the source: on any difference
the target is rolled back and left as it was.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage.db import (
    Database,
    PostgresDatabase,
    SqliteDatabase,
    Transaction,
    is_postgres,
    redact,
    upgrade,
)
from storage.errors import CopyMismatch, DatabaseUnavailable, TargetNotEmpty

log = logging.getLogger(__name__)

_VERSION_TABLE = "schema_version"


@dataclass(frozen=True, slots=True)
class CopyReport:
    source: str  # where, safe to print
    target: str  # a redacted URL
    schema: int
    tables: tuple[tuple[str, int], ...]  # (table, rows copied), in copy order


async def _sqlite_tables(tx: Transaction) -> list[str]:
    rows = await tx.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name"
    )
    # users first: the other tables refer to it
    return sorted((str(r[0]) for r in rows), key=lambda t: (t != "users", t))


async def _pg_columns(tx: Transaction) -> dict[str, dict[str, str]]:
    """table -> column -> data type, for the target's public tables."""
    rows = await tx.fetchall(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
    )
    tables: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        tables.setdefault(str(table), {})[str(column)] = str(data_type)
    return tables


def _as(data_type: str, value: Any) -> Any:
    """A source value as the target column holds it (SQLite keeps booleans as 0 / 1)."""
    if value is None:
        return None
    if data_type == "boolean":
        return bool(value)
    if data_type in ("bigint", "integer", "smallint"):
        return int(value)
    if data_type in ("double precision", "real"):
        return float(value)
    return value


async def _refuse_non_empty(db: PostgresDatabase) -> None:
    """An empty target: no tables, or only Namesmith's tables with no rows in them (a database
    `db migrate` created, or a copy that was rolled back)."""
    async with db.transaction() as tx:
        columns = await _pg_columns(tx)
        ours = await _schema_tables()
        foreign = sorted(set(columns) - ours - {_VERSION_TABLE})
        if foreign:
            raise TargetNotEmpty(
                f"the target database {db.where} is not empty (it has tables: "
                f"{', '.join(foreign[:10])}); db copy writes only into an empty database"
            )
        filled = [
            t
            for t in sorted(set(columns) - {_VERSION_TABLE})
            if (await tx.fetchone(f'SELECT EXISTS (SELECT 1 FROM "{t}")'))[0]  # type: ignore[index]
        ]
        if filled:
            raise TargetNotEmpty(
                f"the target database {db.where} already holds Namesmith data (in: "
                f"{', '.join(filled)}); db copy writes only into an empty database"
            )


async def _schema_tables() -> set[str]:
    """The tables the current schema has (read from a blank in-memory SQLite database)."""
    blank = await SqliteDatabase.open(":memory:")
    try:
        await upgrade(blank)
        async with blank.transaction() as tx:
            return set(await _sqlite_tables(tx))
    finally:
        await blank.close()


async def copy(source: str | Path, target: str) -> CopyReport:
    """Copy every table of the SQLite database at `source` into the empty PostgreSQL database
    at `target` (a postgresql:// URL), verify it row for row, and report the counts."""
    if is_postgres(source):
        raise DatabaseUnavailable("db copy reads an SQLite file: --from takes a path")
    if not is_postgres(target):
        raise DatabaseUnavailable("db copy writes to PostgreSQL: --to takes a postgresql:// URL")
    if not await asyncio.to_thread(Path(source).is_file):
        raise DatabaseUnavailable(f"there is no database file at {source}")
    src: Database = await SqliteDatabase.open(source)
    try:
        schema = await upgrade(src)
        dst = await PostgresDatabase.open(target)
        try:
            await _refuse_non_empty(dst)
            await upgrade(dst)
            tables = await _copy_tables(src, dst)
        finally:
            await dst.close()
    finally:
        await src.close()
    log.info("copied %s to %s: %s", redact(source), redact(target), tables)
    return CopyReport(str(source), redact(target), schema, tables)


async def _copy_tables(src: Database, dst: PostgresDatabase) -> tuple[tuple[str, int], ...]:
    counts: list[tuple[str, int]] = []
    async with src.transaction() as stx, dst.transaction() as dtx:
        target_columns = await _pg_columns(dtx)
        for table in await _sqlite_tables(stx):
            if table not in target_columns:
                raise CopyMismatch(f"the target has no table {table!r}; nothing was copied")
            types = target_columns[table]
            names = [str(c[1]) for c in await stx.fetchall(f'PRAGMA table_info("{table}")')]
            if set(names) != set(types):
                raise CopyMismatch(
                    f"table {table!r} has different columns in the source and the target; "
                    "nothing was copied"
                )
            cols = ", ".join(f'"{n}"' for n in names)
            rows = [
                tuple(_as(types[n], v) for n, v in zip(names, r, strict=True))
                for r in await stx.fetchall(f'SELECT {cols} FROM "{table}"')
            ]
            if rows:
                marks = ", ".join("?" for _ in names)
                await dtx.executemany(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})', rows)
            await _verify(dtx, table, cols, rows)
            await _advance_identity(dtx, table)
            counts.append((table, len(rows)))
    return tuple(counts)


async def _verify(
    tx: Transaction, table: str, cols: str, expected: Sequence[tuple[Any, ...]]
) -> None:
    got = [tuple(r) for r in await tx.fetchall(f'SELECT {cols} FROM "{table}"')]
    if sorted(got, key=repr) != sorted(expected, key=repr):
        raise CopyMismatch(
            f"table {table!r} read back differently from the target ({len(got)} rows, "
            f"{len(expected)} expected); nothing was copied"
        )


async def _advance_identity(tx: Transaction, table: str) -> None:
    """Rows came with their ids: move the id sequence past them, or the next insert collides."""
    for (column,) in await tx.fetchall(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = "
        "current_schema() AND table_name = ? AND is_identity = 'YES'",
        (table,),
    ):
        await tx.fetchone(
            f'SELECT setval(pg_get_serial_sequence(?, ?), coalesce(max("{column}"), 0) + 1, '
            f'false) FROM "{table}"',
            (table, column),
        )
