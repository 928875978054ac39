"""storage.db.sqlite: PRAGMAs, a full disk, and what a bad file or folder is reported as."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

import storage


async def test_sqlite_pragmas_are_set(tmp_path: Path) -> None:
    s = await storage.open(tmp_path / "n.sqlite3")
    assert (await s.db.fetchone("PRAGMA foreign_keys"))[0] == 1  # type: ignore[index]
    assert (await s.db.fetchone("PRAGMA busy_timeout"))[0] == 5000  # type: ignore[index]
    await s.close()


async def test_in_memory_database_works() -> None:
    s = await storage.open(":memory:")
    assert await s.favourites.add("tg:1", "Ana", style="english")
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


async def test_a_database_file_deleted_while_open_refuses_writes(tmp_path: Path) -> None:
    s = await storage.open(tmp_path / "n.sqlite3")
    try:
        assert await s.favourites.add("tg:1", "Anna", style="english")
        (tmp_path / "n.sqlite3").unlink()
        with pytest.raises(storage.DatabaseNotWritable, match="was deleted or replaced"):
            await s.favourites.add("tg:1", "Bea", style="english")
    finally:
        await s.close()
