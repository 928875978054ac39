"""Everything Namesmith remembers, on one SQLite file through aiosqlite.

Imports aiosqlite and the standard library only; never `bot`, `engine`, torch or a chat SDK.
Takes plain values (user keys such as "tg:123", chat keys, strings, numbers) and returns frozen
dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from storage.audit import Audit, AuditEntry
from storage.db import Database
from storage.errors import DatabaseTooNew, InvalidValue, LimitReached, StorageError
from storage.favourites import Favourite, Favourites, Page
from storage.replies import Replies
from storage.settings import Preferences, Settings
from storage.stats import Snapshot, Stats


@dataclass(frozen=True, slots=True)
class Storage:
    """The open database and its repositories."""

    db: Database
    favourites: Favourites
    settings: Settings
    audit: Audit
    stats: Stats
    replies: Replies

    async def close(self) -> None:
        await self.db.close()


async def open(path: str | Path) -> Storage:
    """Open (creating file and folder if missing) and migrate the database at `path`."""
    db = await Database.open(path)
    return Storage(db, Favourites(db), Settings(db), Audit(db), Stats(db), Replies(db))


__all__ = [
    "Audit",
    "AuditEntry",
    "DatabaseTooNew",
    "Favourite",
    "Favourites",
    "InvalidValue",
    "LimitReached",
    "Page",
    "Preferences",
    "Replies",
    "Settings",
    "Snapshot",
    "Stats",
    "Storage",
    "StorageError",
    "open",
]
