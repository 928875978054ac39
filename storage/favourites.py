"""Names a user saved, newest first; each user sees and changes only their own."""

from __future__ import annotations

import math
from dataclasses import dataclass

import aiosqlite

from storage import values
from storage.db import Database, now
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


async def touch_user(conn: aiosqlite.Connection, user: str) -> None:
    """Create or refresh the user's row; inside a caller's transaction."""
    stamp = now()
    await conn.execute(
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
        """Save a name; False if the user had saved it already (nothing changes)."""
        user, name = values.key(user, "user"), values.name(name)
        style = values.key(style, "style")
        temperature = values.temperature(temperature)
        async with self._db.transaction() as conn:
            await touch_user(conn, user)
            async with conn.execute(
                "SELECT count(*), sum(name = ?) FROM favourites WHERE user_key = ?", (name, user)
            ) as cur:
                row = await cur.fetchone()
            total, already = (int(row[0]), bool(row[1])) if row else (0, False)
            if already:
                return False
            if total >= self.limit:
                raise LimitReached(
                    f"you have {total:,} favourites, the most one can keep; "
                    "remove some with /unfav before saving more"
                )
            await conn.execute(
                "INSERT INTO favourites (user_key, name, style, label, temperature, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (user, name, style, label, temperature, now()),
            )
        return True

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
        """Forget one saved name; False if it was not saved."""
        async with self._db.transaction() as conn:
            cur = await conn.execute(
                "DELETE FROM favourites WHERE user_key = ? AND name = ?",
                (values.key(user, "user"), values.name(name)),
            )
            return cur.rowcount > 0

    async def clear(self, user: str) -> int:
        """Forget all of a user's favourites; returns how many there were."""
        async with self._db.transaction() as conn:
            cur = await conn.execute(
                "DELETE FROM favourites WHERE user_key = ?", (values.key(user, "user"),)
            )
            return cur.rowcount

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
