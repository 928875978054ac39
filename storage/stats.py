"""Counters for a small /stats: names served, users, favourites."""

from __future__ import annotations

from dataclasses import dataclass

from storage import values
from storage.db import Database
from storage.favourites import touch_user


@dataclass(frozen=True, slots=True)
class Snapshot:
    names_served: int
    users: int
    favourites: int


class Stats:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def served(self, user: str, names: int) -> None:
        """Count `names` names served to `user` (and remember the user)."""
        async with self._db.transaction() as tx:
            await touch_user(tx, values.key(user, "user"))
            await tx.execute(
                "INSERT INTO counters (name, value) VALUES ('names_served', ?) "
                "ON CONFLICT (name) DO UPDATE SET value = counters.value + excluded.value",
                (int(names),),
            )

    async def snapshot(self) -> Snapshot:
        row = await self._db.fetchone(
            "SELECT (SELECT value FROM counters WHERE name = 'names_served'), "
            "(SELECT count(*) FROM users), (SELECT count(*) FROM favourites)"
        )
        assert row is not None
        return Snapshot(int(row[0] or 0), int(row[1]), int(row[2]))
