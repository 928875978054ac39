"""Numbered forward-only migrations: `storage/migrations/<dialect>/V<n>__<reason>.sql`.

Each migration and its version bump run in one transaction, under the engine's migration lock
(PostgreSQL: an advisory lock; SQLite: BEGIN IMMEDIATE). A database newer than this code is
refused before anything is written to it, never guessed at.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import unicodedata
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from storage import values
from storage.errors import DatabaseTooNew

if TYPE_CHECKING:
    from storage.db.types import Database, Transaction

log = logging.getLogger(__name__)

_MIGRATION = re.compile(r"V(\d+)__(\w+)\.sql")
DIALECTS = ("sqlite", "postgresql")


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


def refuse_newer(dialect: str, current: int) -> None:
    """Raise DatabaseTooNew if schema `current` is past the last migration this code ships."""
    known = len(migrations(dialect))
    if current > known:
        raise DatabaseTooNew(
            f"the database was written by a newer Namesmith (schema {current}; this version "
            f"knows up to {known}); it was not changed. Upgrade Namesmith."
        )


async def upgrade(db: Database) -> int:
    """Apply the missing migrations, each with its version bump in one transaction.

    Another process may start at the same time: under the migration lock each step re-reads
    the version and skips what is already done. Returns the schema version.
    """
    async with db.migrating() as begin:
        for m in migrations(db.dialect):
            async with begin() as tx:
                current = await db.read_version(tx)
                refuse_newer(db.dialect, current)  # before anything is written
                if current >= m.version:
                    continue
                await db.run_script(tx, m.sql)
                if step := _DATA_STEPS.get(m.version):
                    await step(tx)
                await db.write_version(tx, m.version)
            log.info("storage migrated to schema %d (%s)", m.version, m.name)
    return await db.schema_version()


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
