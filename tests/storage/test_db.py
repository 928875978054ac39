from __future__ import annotations

import asyncio
import contextlib
import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

import storage
from storage.db import SqliteDatabase, migrations, numbered, statements
from tests.storage.pgserver import PASSWORD, PgServer

EXPECTED_SCHEMA = {
    "users": ["user_key", "first_seen", "last_seen"],
    "favourites": [
        "id", "user_key", "name", "style", "label", "temperature", "created_at", "name_key",
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
    assert await s.db.migrate() == len(migrations(s.db.dialect))
    await s.close()


async def test_sqlite_pragmas_are_set(tmp_path: Path) -> None:
    s = await storage.open(tmp_path / "n.sqlite3")
    assert (await s.db.fetchone("PRAGMA foreign_keys"))[0] == 1  # type: ignore[index]
    assert (await s.db.fetchone("PRAGMA busy_timeout"))[0] == 5000  # type: ignore[index]
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


async def test_in_memory_database_works() -> None:
    s = await storage.open(":memory:")
    assert await s.favourites.add("tg:1", "Ana", style="english")
    await s.close()


async def test_a_failed_transaction_leaves_nothing(store: storage.Storage) -> None:
    with pytest.raises(RuntimeError):
        async with store.db.transaction() as tx:
            await tx.execute("INSERT INTO counters (name, value) VALUES ('x', 1)")
            raise RuntimeError("boom")
    assert await store.db.fetchone("SELECT * FROM counters WHERE name = 'x'") is None


async def _cancel_after(task: asyncio.Task[object], step: int) -> None:
    """Cancel `task` at one of many points: after a number of loop turns, then of microseconds."""
    if step < 30:
        for _ in range(step):
            await asyncio.sleep(0)
    else:
        await asyncio.sleep((step - 30) * 0.0002)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, storage.StorageError):
        await task


async def test_cancelled_transactions_leave_the_database_usable(target: str | Path) -> None:
    """Tasks cancelled while waiting for BEGIN, inside the body, at COMMIT...: afterwards a
    write works (a connection left inside a transaction would fail every later write, or a
    leaked pool connection would hang this with pool_size=2)."""
    s = await storage.open(target, pool_size=2)
    try:
        for step in range(60):
            task = asyncio.create_task(s.favourites.add("tg:1", f"N{step}", style="english"))
            await _cancel_after(task, step)
        rng = random.Random(7)
        tasks = [
            asyncio.create_task(s.stats.served(f"tg:{i}", 1)) for i in range(20)
        ]  # several waiting for the lock or the pool at once
        await asyncio.sleep(rng.random() / 500)
        for t in tasks[::2]:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        async with asyncio.timeout(30):
            assert await s.favourites.add("tg:2", "After", style="english")
            assert (await s.favourites.page("tg:2")).total == 1
        if isinstance(s.db, SqliteDatabase):
            assert not s.db.in_transaction
    finally:
        await s.close()


async def test_a_full_disk_refuses_writes_clearly_and_recovers(tmp_path: Path) -> None:
    """SQLite's max_page_count stands in for a full disk: it fails writes with SQLITE_FULL."""
    s = await storage.open(tmp_path / "n.sqlite3")
    try:
        await s.favourites.add("tg:1", "Before", style="english")
        row = await s.db.fetchone("PRAGMA page_count")
        assert row is not None
        await s.db.fetchone(f"PRAGMA max_page_count = {int(row[0])}")
        with pytest.raises(storage.StorageFull, match="disk holding the database is full"):
            for i in range(500):
                await s.favourites.add("tg:1", f"Filler {i:03d} " + "x" * 40, style="english")
        page = await s.favourites.page("tg:1", per_page=1000)  # reads still work
        assert page.items[-1].name == "Before" and page.total > 1
        with pytest.raises(storage.StorageFull):
            await s.replies.add("tg:1", "x" * 5000)
        await s.db.fetchone("PRAGMA max_page_count = 1000000")  # space is freed
        assert await s.favourites.add("tg:1", "After", style="english")
    finally:
        await s.close()


# --- start-up errors ---------------------------------------------------------------------------


def _damage(path: Path) -> None:
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(2 * page, min(len(data), 6 * page), 7):
        data[offset] = 0xA5
    path.write_bytes(bytes(data))


async def _populated(path: Path) -> None:
    s = await storage.open(path)
    for i in range(300):
        await s.favourites.add(f"tg:{i % 7}", f"Name number {i}", style="english")
    await s.close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


async def test_a_damaged_file_is_reported_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "n.sqlite3"
    await _populated(path)
    _damage(path)
    with pytest.raises(storage.DatabaseDamaged, match="damaged") as info:
        await storage.open(path)
    assert str(path) in str(info.value) and "backup" in str(info.value)


async def test_a_file_that_is_not_a_database_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("shopping list\n" * 1000)
    with pytest.raises(storage.DatabaseDamaged, match="is not an SQLite database") as info:
        await storage.open(path)
    assert str(path) in str(info.value)


@contextlib.contextmanager
def _read_only(path: Path) -> Iterator[None]:
    """Make `path` unwritable even for root (the immutable flag), else by its permissions."""
    import os
    import subprocess

    if os.geteuid() == 0:
        done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
        if done.returncode != 0:
            pytest.skip(f"cannot set the immutable flag here: {done.stderr.decode().strip()}")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            path.chmod(mode)


async def test_an_immutable_file_is_reported_as_not_writable(tmp_path: Path) -> None:
    path = tmp_path / "n.sqlite3"
    await _populated(path)
    for extra in (tmp_path / "n.sqlite3-wal", tmp_path / "n.sqlite3-shm"):
        extra.unlink(missing_ok=True)
    with _read_only(path), pytest.raises(storage.DatabaseNotWritable, match="must be writable"):
        await storage.open(path)


async def test_an_unwritable_folder_is_reported_with_its_path(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    with _read_only(folder), pytest.raises(storage.DatabaseNotWritable) as info:
        await storage.open(folder / "n.sqlite3")
    assert str(folder) in str(info.value) and "must be writable" in str(info.value)


async def test_a_folder_that_cannot_be_created_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(storage.DatabaseNotWritable, match="cannot create the folder") as info:
        await storage.open(blocker / "sub" / "n.sqlite3")
    assert str(blocker / "sub") in str(info.value)


def _chain(exc: BaseException | None) -> str:
    text = ""
    while exc is not None:
        text += f"{type(exc).__name__}: {exc}\n"
        exc = exc.__cause__ or exc.__context__
    return text


async def test_unreachable_postgres_is_reported_without_the_password() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens once it is closed
    url = f"postgresql://someone:{PASSWORD}@127.0.0.1:{port}/db"
    with pytest.raises(storage.DatabaseUnavailable, match="cannot reach PostgreSQL") as info:
        await storage.open(url)
    assert PASSWORD not in _chain(info.value)
    assert f"postgresql://someone:***@127.0.0.1:{port}/db" in str(info.value)


async def test_a_wrong_postgres_password_is_reported_without_either_password(
    pg_server: PgServer,
) -> None:
    wrong = "not-the-password-123"
    with pytest.raises(storage.DatabaseUnavailable, match="refused the login") as info:
        await storage.open(pg_server.url("postgres", password=wrong))
    assert wrong not in _chain(info.value) and PASSWORD not in _chain(info.value)


async def test_a_missing_postgres_database_is_reported(pg_server: PgServer) -> None:
    with pytest.raises(storage.DatabaseUnavailable, match="no such database") as info:
        await storage.open(pg_server.url("nope"))
    assert PASSWORD not in _chain(info.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:pw%40x@h:5/d", "postgresql://u:***@h:5/d"),
        ("postgresql://u@h/d", "postgresql://u@h/d"),
        ("postgresql://u:pw@h:notaport/d", "postgresql://(a URL that cannot be read)"),
        ("/var/lib/n.sqlite3", "/var/lib/n.sqlite3"),
    ],
)
def test_redact_hides_the_password(url: str, shown: str) -> None:
    assert storage.redact(url) == shown


async def test_a_bad_url_is_refused_without_echoing_it() -> None:
    with pytest.raises(storage.DatabaseUnavailable, match="cannot be read") as info:
        await storage.open("postgresql://u:secretpw@h:notaport/d")
    assert "secretpw" not in _chain(info.value)


def test_placeholders_are_numbered_outside_quotes() -> None:
    sql = "SELECT ? , '?', 'it''s ?' WHERE a = ? AND b = ?"
    assert numbered(sql) == "SELECT $1 , '?', 'it''s ?' WHERE a = $2 AND b = $3"


def test_statements_split_on_complete_sql_only() -> None:
    sql = "CREATE TABLE a (x TEXT DEFAULT ';');\n-- note\nCREATE TABLE b (y);\n"
    assert list(statements(sql)) == [
        "CREATE TABLE a (x TEXT DEFAULT ';');",
        "-- note\nCREATE TABLE b (y);",
    ]
