"""storage.db.migrate: numbered forward-only migrations, on both engines."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import asyncpg
import pytest

import storage
from storage.db import migrations, statements, upgrade

EXPECTED_SCHEMA = {
    "users": ["user_key", "first_seen", "last_seen"],
    "favourites": [
        "id", "user_key", "name", "style", "label", "temperature", "created_at", "name_key",
        "tags", "note",
    ],
    "preferences": [
        "scope", "key", "style", "temperature", "count", "gender", "updated_at", "updated_by",
        "new_only", "word_filter",
    ],
    "audit": [
        "id", "at", "actor", "action", "style", "corpus", "fingerprint", "val_nll", "adopted",
        "detail",
    ],
    "counters": ["name", "value"],
    "replies": ["token", "owner", "chat", "payload", "created_at"],
    "deliveries": ["key", "seen_at"],
    "rate_limits": ["key", "tat", "warned"],
}  # fmt: skip


def _schema(path: Path) -> dict[str, list[str]]:
    with sqlite3.connect(path) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return {t: [c[1] for c in conn.execute(f"PRAGMA table_info({t})")] for t in tables}


async def _pg_schema(url: str) -> dict[str, list[str]]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"
        )
    finally:
        await conn.close()
    schema: dict[str, list[str]] = {}
    for r in rows:
        schema.setdefault(r["table_name"], []).append(r["column_name"])
    return schema


def test_both_engines_have_the_same_migrations() -> None:
    sqlite_side = [(m.version, m.name) for m in migrations("sqlite")]
    assert sqlite_side == [(m.version, m.name) for m in migrations("postgresql")]
    assert len(sqlite_side) >= 4


async def test_blank_sqlite_database_is_migrated_to_the_exact_schema(tmp_path: Path) -> None:
    path = tmp_path / "new" / "folder" / "n.sqlite3"
    s = await storage.open(path)
    assert await s.db.schema_version() == len(migrations("sqlite"))
    await s.close()
    assert _schema(path) == dict(sorted(EXPECTED_SCHEMA.items()))
    with sqlite3.connect(path) as conn:
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert {"favourites_by_user", "audit_by_time", "replies_by_age"} <= indexes
        assert {"favourites_by_name_key"} <= indexes
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_blank_postgres_database_is_migrated_to_the_same_schema(pg_url: str) -> None:
    s = await storage.open(pg_url)
    assert await s.db.schema_version() == len(migrations("postgresql"))
    await s.close()
    expected = {**EXPECTED_SCHEMA, "schema_version": ["version"]}
    assert await _pg_schema(pg_url) == expected


async def test_reopening_migrates_nothing_and_keeps_data(target: str | Path) -> None:
    s = await storage.open(target)
    await s.favourites.add("tg:1", "Eldrin", style="elf")
    await s.close()
    s = await storage.open(target)
    assert (await s.favourites.page("tg:1")).total == 1
    assert await upgrade(s.db) == len(migrations(s.db.dialect))
    await s.close()


async def test_a_newer_sqlite_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "n.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
        conn.execute("CREATE TABLE future (x)")
    before = path.read_bytes()
    with pytest.raises(storage.DatabaseTooNew, match="newer Namesmith"):
        await storage.open(path)
    assert path.read_bytes() == before


async def test_a_newer_postgres_database_is_refused_and_left_alone(pg_url: str) -> None:
    conn = await asyncpg.connect(pg_url)
    try:
        await conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        await conn.execute("INSERT INTO schema_version VALUES (99)")
        await conn.execute("CREATE TABLE future (x TEXT)")
        with pytest.raises(storage.DatabaseTooNew, match="schema 99"):
            await storage.open(pg_url)
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        )
        assert [t[0] for t in tables] == ["future", "schema_version"]
        assert await conn.fetchval("SELECT version FROM schema_version") == 99
    finally:
        await conn.close()


async def test_processes_starting_together_on_postgres_migrate_once(pg_url: str) -> None:
    """Each start is its own pool (as a process would be); the advisory lock lets one migrate."""
    stores = await asyncio.gather(*(storage.open(pg_url, pool_size=1) for _ in range(4)))
    try:
        assert {await s.db.schema_version() for s in stores} == {len(migrations("postgresql"))}
        assert await stores[0].favourites.add("tg:1", "Ana", style="english")
    finally:
        for s in stores:
            await s.close()


def test_statements_split_on_complete_sql_only() -> None:
    sql = "CREATE TABLE a (x TEXT DEFAULT ';');\n-- note\nCREATE TABLE b (y);\n"
    assert list(statements(sql)) == [
        "CREATE TABLE a (x TEXT DEFAULT ';');",
        "-- note\nCREATE TABLE b (y);",
    ]
