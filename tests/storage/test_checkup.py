"""What the operator's checks ask of the database, on both engines: a ping that says when the
database no longer answers, and a checkup (`namesmith doctor`) that changes nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import storage
from storage.db import connect, migrations


async def test_a_ping_answers_until_the_database_is_closed(target: str | Path) -> None:
    store = await storage.open(target)
    await store.ping()
    await store.close()
    with pytest.raises(storage.DatabaseUnavailable, match="does not answer"):
        await store.ping()


async def test_a_migrated_database_is_current_and_writable(target: str | Path) -> None:
    await (await storage.open(target)).close()
    found = await storage.checkup(target)
    assert found.current
    assert found.version == found.latest == len(migrations(found_dialect(target)))
    assert "password" not in found.where


async def test_a_blank_database_is_said_to_be_behind_and_left_blank(
    target: str | Path,
) -> None:
    if isinstance(target, Path):
        await asyncio.to_thread(target.parent.mkdir, parents=True)
        await asyncio.to_thread(target.touch)  # an empty SQLite file: schema 0
    found = await storage.checkup(target)
    assert (found.version, found.current) == (0, False)
    db = await connect(target, migrate=False)
    try:
        assert await db.schema_version() == 0
        if db.dialect == "postgresql":  # the probe wrote its version table, then rolled back
            row = await db.fetchone("SELECT to_regclass('schema_version') IS NULL")
            assert row is not None and row[0] is True
    finally:
        await db.close()


async def test_a_missing_sqlite_file_is_not_created(tmp_path: Path) -> None:
    with pytest.raises(storage.DatabaseUnavailable, match="does not exist yet"):
        await storage.checkup(tmp_path / "db.sqlite3")
    assert not (tmp_path / "db.sqlite3").exists()


def found_dialect(target: str | Path) -> str:
    return "sqlite" if isinstance(target, Path) else "postgresql"
