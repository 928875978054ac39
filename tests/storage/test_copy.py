"""`db copy`: a populated SQLite file into an empty PostgreSQL database, compared row for row."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import asyncpg
import pytest

import storage
from bot import cli
from storage.copy import copy
from storage.db import migrations
from tests.storage.pgserver import PASSWORD

TABLES = ["users", "favourites", "preferences", "audit", "counters", "replies", "rate_limits",
          "deliveries"]  # fmt: skip


async def _populate(path: Path) -> None:
    s = await storage.open(path)
    try:
        for i in range(40):
            await s.favourites.add(f"tg:{i % 4}", f"Zoë {i}", style="elf", label="female",
                                   temperature=0.25 * (i % 5) or None)  # fmt: skip
        await s.favourites.add("dc:9", "مريم", style="english", tags=("book2", "сёстры"),
                               note="the elder — sensible")  # fmt: skip
        await s.favourites.remove("tg:1", "zoë 1")  # a gap in the ids
        await s.settings.set_user("tg:1", storage.Preferences(style="elf", new_only=True))
        await s.deliveries.first("tg:4242")
        await s.settings.set_user("tg:2", storage.Preferences(gender="any", new_only=False))
        await s.settings.set_chat("tg:-100", "tg:1", storage.Preferences(count=7))
        await s.audit.record("tg:1", "train", style="elf", val_nll=1.875, adopted=True)
        await s.audit.record("tg:1", "train", corpus="upload.txt", adopted=False)
        await s.audit.record("dc:2", "reset_chat", detail="it's 'quoted'")
        await s.stats.served("tg:1", 123)
        for i in range(5):
            await s.replies.add("tg:1", f'{{"n": {i}}}', chat="tg:-100" if i % 2 else None)
        for _ in range(3):  # a warned user: a boolean and a float to carry across
            await s.rate_limits.take([("user:tg:1", 2, 10.0)], now=1_800_000_000.25)
    finally:
        await s.close()


def _sqlite_rows(path: Path, table: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as conn:
        return sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)


async def _pg_rows(url: str, table: str, columns: list[str]) -> list[tuple[Any, ...]]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(f"SELECT {', '.join(columns)} FROM {table}")
    finally:
        await conn.close()
    # SQLite keeps booleans as 0 / 1
    return sorted((tuple(int(v) if isinstance(v, bool) else v for v in r) for r in rows), key=repr)


def _columns(path: Path, table: str) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [c[1] for c in conn.execute(f"PRAGMA table_info({table})")]


async def test_copy_moves_every_row_exactly(tmp_path: Path, pg_url: str) -> None:
    source = tmp_path / "n.sqlite3"
    await _populate(source)
    report = await copy(source, pg_url)
    assert report.schema == len(migrations("sqlite"))
    assert [t for t, _ in report.tables] == ["users", *sorted(set(TABLES) - {"users"})]
    for table in TABLES:
        expected = _sqlite_rows(source, table)
        assert expected, table  # the fixture fills every table
        assert await _pg_rows(pg_url, table, _columns(source, table)) == expected, table
        assert dict(report.tables)[table] == len(expected)


async def test_the_copy_is_a_working_database(tmp_path: Path, pg_url: str) -> None:
    """Ids came along: new rows get fresh ids rather than colliding with copied ones."""
    source = tmp_path / "n.sqlite3"
    await _populate(source)
    await copy(source, pg_url)
    s = await storage.open(pg_url)
    try:
        assert await s.favourites.add("tg:0", "New one", style="elf")
        assert not await s.favourites.add("tg:0", "ZOË 0", style="elf")
        assert await s.audit.record("tg:1", "train") == 4
        assert (await s.settings.user("tg:1")).new_only is True
        assert (await s.stats.snapshot()).names_served == 123
        (noted,) = await s.favourites.all("dc:9")
        assert (noted.tags, noted.note) == (("book2", "сёстры"), "the elder — sensible")
    finally:
        await s.close()


async def test_a_target_with_data_is_refused_and_left_alone(tmp_path: Path, pg_url: str) -> None:
    source = tmp_path / "n.sqlite3"
    await _populate(source)
    await copy(source, pg_url)
    before = await _pg_rows(pg_url, "favourites", _columns(source, "favourites"))
    with pytest.raises(storage.TargetNotEmpty, match="already holds Namesmith data"):
        await copy(source, pg_url)
    assert await _pg_rows(pg_url, "favourites", _columns(source, "favourites")) == before


async def test_a_target_with_other_tables_is_refused(tmp_path: Path, pg_url: str) -> None:
    source = tmp_path / "n.sqlite3"
    await _populate(source)
    conn = await asyncpg.connect(pg_url)
    try:
        await conn.execute("CREATE TABLE invoices (x INTEGER)")
    finally:
        await conn.close()
    with pytest.raises(storage.TargetNotEmpty, match="invoices") as info:
        await copy(source, pg_url)
    assert PASSWORD not in str(info.value)


async def test_a_migrated_but_empty_target_is_accepted(tmp_path: Path, pg_url: str) -> None:
    source = tmp_path / "n.sqlite3"
    await _populate(source)
    await (await storage.open(pg_url)).close()  # `db migrate` first
    report = await copy(source, pg_url)
    assert dict(report.tables)["favourites"] == 40


def test_cli_copy_prints_counts_and_never_the_password(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    source = tmp_path / "n.sqlite3"
    asyncio.run(_populate(source))
    assert cli.main(["db", "copy", "--from", str(source), "--to", pg_url]) == 0
    out, err = capsys.readouterr()
    assert "favourites" in out and "40 rows" in out and "verified" in out
    assert PASSWORD not in out + err and ":***@" in out
    assert cli.main(["db", "copy", "--from", str(source), "--to", pg_url]) == 2
    out, err = capsys.readouterr()
    assert "not empty" in err or "already holds" in err
    assert PASSWORD not in out + err


def test_cli_migrate_prints_the_schema_version(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    version = len(migrations("sqlite"))
    assert cli.main(["db", "migrate", "--database", str(tmp_path / "n.sqlite3")]) == 0
    assert capsys.readouterr().out.strip().endswith(f"schema version {version}")
    assert cli.main(["db", "migrate", "--database", pg_url]) == 0
    out, err = capsys.readouterr()
    assert out.strip().endswith(f"schema version {version}") and PASSWORD not in out + err


def test_cli_reports_an_unreachable_database_in_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"postgresql://u:{PASSWORD}@127.0.0.1:1/db"
    assert cli.main(["db", "migrate", "--database", url]) == 2
    out, err = capsys.readouterr()
    assert err.startswith("namesmith: error: cannot reach PostgreSQL") and err.count("\n") == 1
    assert PASSWORD not in out + err
