"""Updates already answered, so that a platform's redelivery of one (a webhook answered late, or
a replica killed mid-reply, makes Telegram send it again, perhaps to another replica) is answered
once. Every replica on one database shares the record.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage import values
from storage.db import Database, now

KEEP_HOURS = 24  # Telegram gives up redelivering an update long before this


class Deliveries:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def first(self, key: str) -> bool:
        """Record the update `key`; True the first time it is seen, False for a redelivery."""
        async with self._db.transaction() as tx:
            row = await tx.fetchone(
                "INSERT INTO deliveries (key, seen_at) VALUES (?, ?) "
                "ON CONFLICT (key) DO NOTHING RETURNING key",
                (values.key(key, "update"), now()),
            )
        return row is not None

    async def prune(self, keep_hours: int = KEEP_HOURS) -> int:
        """Forget updates older than `keep_hours`."""
        cutoff = (datetime.now(UTC) - timedelta(hours=keep_hours)).isoformat(
            timespec="milliseconds"
        )
        async with self._db.transaction() as tx:
            return await tx.execute("DELETE FROM deliveries WHERE seen_at < ?", (cutoff,))
