"""Everything Namesmith remembers: an SQLite file (aiosqlite) or a PostgreSQL server (asyncpg).

Imports aiosqlite, asyncpg and the standard library only; never `bot`, `engine`, torch or a chat
SDK. Takes plain values (user keys such as "tg:123", chat keys, strings, numbers) and returns
frozen dataclasses. A PostgreSQL URL holds a password: show it only through `redact()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from storage.audit import Audit, AuditEntry
from storage.checkup import Checkup, checkup
from storage.db import Database, connect, redact
from storage.deliveries import Deliveries
from storage.errors import (
    CopyMismatch,
    DatabaseDamaged,
    DatabaseNotWritable,
    DatabaseTooNew,
    DatabaseUnavailable,
    InvalidValue,
    LimitReached,
    StorageError,
    StorageFull,
    TargetNotEmpty,
)
from storage.favourites import Favourite, Favourites, Page
from storage.ratelimits import RateLimits
from storage.replies import Replies, StoredReply
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
    rate_limits: RateLimits
    deliveries: Deliveries

    async def ping(self) -> None:
        """Raise a StorageError unless the database answers a cheap query now."""
        await self.db.ping()

    async def close(self) -> None:
        await self.db.close()


async def open(target: str | Path, *, pool_size: int = 10) -> Storage:
    """Open and migrate the database at `target`: a path (SQLite; file and folder are created
    if missing) or a `postgresql://user:password@host:port/db` URL (a pool of `pool_size`
    connections). Raises a `StorageError` whose message says what is wrong and what to do."""
    db = await connect(target, pool_size=pool_size)
    return Storage(
        db,
        Favourites(db),
        Settings(db),
        Audit(db),
        Stats(db),
        Replies(db),
        RateLimits(db),
        Deliveries(db),
    )


__all__ = [
    "Audit",
    "AuditEntry",
    "Checkup",
    "CopyMismatch",
    "DatabaseDamaged",
    "DatabaseNotWritable",
    "DatabaseTooNew",
    "DatabaseUnavailable",
    "Deliveries",
    "Favourite",
    "Favourites",
    "InvalidValue",
    "LimitReached",
    "Page",
    "Preferences",
    "RateLimits",
    "Replies",
    "Settings",
    "Snapshot",
    "Stats",
    "Storage",
    "StorageError",
    "StorageFull",
    "StoredReply",
    "TargetNotEmpty",
    "checkup",
    "open",
    "redact",
]
