"""What a reply's buttons refer to, kept so that buttons survive a restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage import values
from storage.db import Database, now

KEEP_DAYS = 30


class Replies:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, user: str, payload: str) -> int:
        """Store a payload; returns its id (small, for a button's callback data)."""
        async with self._db.transaction() as conn:
            cur = await conn.execute(
                "INSERT INTO replies (user_key, payload, created_at) VALUES (?, ?, ?)",
                (values.key(user, "user"), values.text(payload, "payload", 20_000), now()),
            )
            return int(cur.lastrowid or 0)

    async def get(self, reply_id: int) -> str | None:
        row = await self._db.fetchone("SELECT payload FROM replies WHERE id = ?", (reply_id,))
        return None if row is None else str(row[0])

    async def prune(self, keep_days: int = KEEP_DAYS) -> int:
        """Forget replies older than `keep_days`; their buttons then answer "expired"."""
        cutoff = (datetime.now(UTC) - timedelta(days=keep_days)).isoformat(timespec="milliseconds")
        async with self._db.transaction() as conn:
            cur = await conn.execute("DELETE FROM replies WHERE created_at < ?", (cutoff,))
            return cur.rowcount
