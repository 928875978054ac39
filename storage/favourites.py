"""Names a user saved, newest first; each user sees and changes only their own.

A name is stored NFC-normalised; "Nina" and "nina" are one favourite (the key is the NFC case
fold). Adds from many processes stay correct: the user's row is locked first (the upsert in
`touch_user` holds it until commit on PostgreSQL; SQLite has one writer at a time), the insert
itself is conditional on the cap, and a repeat meets the unique key with ON CONFLICT DO NOTHING
rather than an exception.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from storage import values
from storage.db import Database, Transaction, now
from storage.errors import LimitReached

MAX_FAVOURITES = 1000
PAGE_SIZE = 10


@dataclass(frozen=True, slots=True)
class Favourite:
    name: str
    style: str
    label: str | None
    temperature: float | None
    created_at: str


@dataclass(frozen=True, slots=True)
class Page:
    items: tuple[Favourite, ...]
    page: int  # 1-based
    pages: int  # at least 1, even when empty
    total: int


async def touch_user(tx: Transaction, user: str) -> None:
    """Create or refresh the user's row, which locks it until `tx` ends; inside a caller's
    transaction."""
    stamp = now()
    await tx.execute(
        "INSERT INTO users (user_key, first_seen, last_seen) VALUES (?, ?, ?) "
        "ON CONFLICT (user_key) DO UPDATE SET last_seen = excluded.last_seen",
        (user, stamp, stamp),
    )


class Favourites:
    def __init__(self, db: Database, *, limit: int = MAX_FAVOURITES) -> None:
        self._db = db
        self.limit = limit

    async def add(
        self,
        user: str,
        name: str,
        *,
        style: str,
        label: str | None = None,
        temperature: float | None = None,
    ) -> bool:
        """Save a name; False if the user had saved it already, in any case (nothing changes)."""
        user, name = values.key(user, "user"), values.name(name)
        style = values.key(style, "style")
        temperature = values.temperature(temperature)
        key = values.name_key(name)
        async with self._db.transaction() as tx:
            await touch_user(tx, user)
            inserted = await tx.fetchone(
                "INSERT INTO favourites (user_key, name, name_key, style, label, temperature, "
                "created_at) SELECT ?, ?, ?, ?, ?, ?, ? "
                "WHERE (SELECT count(*) FROM favourites WHERE user_key = ?) < ? "
                "ON CONFLICT (user_key, name_key) DO NOTHING RETURNING id",
                (user, name, key, style, label, temperature, now(), user, self.limit),
            )
            if inserted is not None:
                return True
            row = await tx.fetchone(
                "SELECT count(*), (SELECT count(*) FROM favourites "
                "WHERE user_key = ? AND name_key = ?) FROM favourites WHERE user_key = ?",
                (user, key, user),
            )
        total, already = (int(row[0]), bool(row[1])) if row else (0, False)
        if already:
            return False
        raise LimitReached(
            f"you have {total:,} favourites, the most one can keep; "
            "remove some with /unfav before saving more"
        )

    async def page(self, user: str, page: int = 1, per_page: int = PAGE_SIZE) -> Page:
        """One page of favourites, newest first; a page past the end gives the last page."""
        user = values.key(user, "user")
        total = await self.count(user)
        pages = max(1, math.ceil(total / per_page))
        page = min(max(1, page), pages)
        rows = await self._db.fetchall(
            "SELECT name, style, label, temperature, created_at FROM favourites "
            "WHERE user_key = ? ORDER BY id DESC LIMIT ? OFFSET ?",
            (user, per_page, (page - 1) * per_page),
        )
        return Page(tuple(Favourite(*r) for r in rows), page, pages, total)

    async def count(self, user: str) -> int:
        row = await self._db.fetchone(
            "SELECT count(*) FROM favourites WHERE user_key = ?", (values.key(user, "user"),)
        )
        return int(row[0]) if row else 0

    async def remove(self, user: str, name: str) -> bool:
        """Forget one saved name, in any case ("nina" removes "Nina"); False if not saved."""
        # Not values.name(): a name saved before invisible characters were refused can still go.
        key = values.name_key(values.text(name, "a name", values.MAX_NAME_LEN))
        async with self._db.transaction() as tx:
            return (
                await tx.execute(
                    "DELETE FROM favourites WHERE user_key = ? AND name_key = ?",
                    (values.key(user, "user"), key),
                )
                > 0
            )

    async def clear(self, user: str) -> int:
        """Forget all of a user's favourites; returns how many there were."""
        async with self._db.transaction() as tx:
            return await tx.execute(
                "DELETE FROM favourites WHERE user_key = ?", (values.key(user, "user"),)
            )

    async def export(self, user: str) -> str:
        """All favourites as text, oldest first, one `name<TAB>style` per line."""
        rows = await self._db.fetchall(
            "SELECT name, style FROM favourites WHERE user_key = ? ORDER BY id",
            (values.key(user, "user"),),
        )
        return "".join(f"{r[0]}\t{r[1]}\n" for r in rows)

    async def has(self, user: str, name: str) -> bool:
        """Whether the user saved this name."""
        row = await self._db.fetchone(
            "SELECT 1 FROM favourites WHERE user_key = ? AND name = ?",
            (values.key(user, "user"), values.name(name)),
        )
        return row is not None
