from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import storage
from storage.db import migrations, statements

EXPECTED_SCHEMA = {
    "users": ["user_key", "first_seen", "last_seen"],
    "favourites": ["id", "user_key", "name", "style", "label", "temperature", "created_at"],
    "preferences": [
        "scope", "key", "style", "temperature", "count", "gender", "updated_at", "updated_by"
    ],
    "audit": [
        "id", "at", "actor", "action", "style", "corpus", "fingerprint", "val_nll", "adopted",
        "detail",
    ],
    "counters": ["name", "value"],
    "replies": ["id", "user_key", "payload", "created_at"],
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


async def test_blank_database_is_migrated_to_the_exact_schema(tmp_path: Path) -> None:
    path = tmp_path / "new" / "folder" / "n.sqlite3"
    s = await storage.open(path)
    assert await s.db.schema_version() == len(migrations())
    await s.close()
    assert _schema(path) == dict(sorted(EXPECTED_SCHEMA.items()))
    with sqlite3.connect(path) as conn:
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert {"favourites_by_user", "audit_by_time"} <= indexes
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_reopening_migrates_nothing_and_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "n.sqlite3"
    s = await storage.open(path)
    await s.favourites.add("tg:1", "Eldrin", style="elf")
    await s.close()
    s = await storage.open(path)
    assert (await s.favourites.page("tg:1")).total == 1
    await s.close()


async def test_pragmas_are_set(store: storage.Storage) -> None:
    assert (await store.db.fetchone("PRAGMA foreign_keys"))[0] == 1  # type: ignore[index]
    assert (await store.db.fetchone("PRAGMA busy_timeout"))[0] == 5000  # type: ignore[index]


async def test_a_newer_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "n.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
        conn.execute("CREATE TABLE future (x)")
    before = path.read_bytes()
    with pytest.raises(storage.DatabaseTooNew, match="newer Namesmith"):
        await storage.open(path)
    assert path.read_bytes() == before


async def test_in_memory_database_works() -> None:
    s = await storage.open(":memory:")
    assert await s.favourites.add("tg:1", "Ana", style="english")
    await s.close()


async def test_a_failed_transaction_leaves_nothing(store: storage.Storage) -> None:
    with pytest.raises(RuntimeError):
        async with store.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO counters (name, value) VALUES ('x', 1)",
            )
            raise RuntimeError("boom")
    assert await store.db.fetchone("SELECT * FROM counters WHERE name = 'x'") is None


def test_statements_split_on_complete_sql_only() -> None:
    sql = "CREATE TABLE a (x TEXT DEFAULT ';');\n-- note\nCREATE TABLE b (y);\n"
    assert list(statements(sql)) == [
        "CREATE TABLE a (x TEXT DEFAULT ';');",
        "-- note\nCREATE TABLE b (y);",
    ]
