"""Names a user saved, newest first; each user sees and changes only their own. A favourite is
a notebook entry: besides the name and where it came from it keeps tags and a note.

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
from storage.db import Database, Row, Transaction, now
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
    tags: tuple[str, ...] = ()  # without '#', case-folded, in the order they were given
    note: str = ""


_COLUMNS = "name, style, label, temperature, created_at, tags, note"


def _favourite(row: Row) -> Favourite:
    name, style, label, temperature, created_at, tags, note = (row[i] for i in range(7))
    return Favourite(
        str(name),
        str(style),
        None if label is None else str(label),
        None if temperature is None else float(temperature),
        str(created_at),
        tuple(str(tags).split()),
        str(note),
    )


def _tags(tags: tuple[str, ...]) -> str:
    """Tags as one column: checked, each once, in order, space-separated."""
    return " ".join(dict.fromkeys(values.tag(t) for t in tags))


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
        tags: tuple[str, ...] = (),
        note: str = "",
    ) -> bool:
        """Save a name; False if the user had saved it already, in any case (nothing changes)."""
        user, name = values.key(user, "user"), values.name(name)
        style = values.key(style, "style")
        temperature = values.temperature(temperature)
        tag_text, note = _tags(tags), values.note(note)
        key = values.name_key(name)
        async with self._db.transaction() as tx:
            await touch_user(tx, user)
            inserted = await tx.fetchone(
                "INSERT INTO favourites (user_key, name, name_key, style, label, temperature, "
                "created_at, tags, note) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? "
                "WHERE (SELECT count(*) FROM favourites WHERE user_key = ?) < ? "
                "ON CONFLICT (user_key, name_key) DO NOTHING RETURNING id",
                (user, name, key, style, label, temperature, now(), tag_text, note, user,
                 self.limit),
            )  # fmt: skip
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

    async def page(
        self, user: str, page: int = 1, per_page: int = PAGE_SIZE, *, tag: str | None = None
    ) -> Page:
        """One page of favourites (those with `tag`, when given), newest first; a page past
        the end gives the last page."""
        user = values.key(user, "user")
        where, args = self._where(user, tag)
        total = await self.count(user, tag=tag)
        pages = max(1, math.ceil(total / per_page))
        page = min(max(1, page), pages)
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM favourites WHERE {where} ORDER BY id DESC LIMIT ? OFFSET ?",
            (*args, per_page, (page - 1) * per_page),
        )
        return Page(tuple(_favourite(r) for r in rows), page, pages, total)

    @staticmethod
    def _where(user: str, tag: str | None) -> tuple[str, tuple[object, ...]]:
        if tag is None:
            return "user_key = ?", (user,)
        # Tags are one space-separated column: a tag matches as a whole word of it. A tag may
        # hold "_", which LIKE would read as any letter.
        word = values.tag(tag).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return "user_key = ? AND ' ' || tags || ' ' LIKE ? ESCAPE '\\'", (user, f"% {word} %")

    async def count(self, user: str, *, tag: str | None = None) -> int:
        where, args = self._where(values.key(user, "user"), tag)
        row = await self._db.fetchone(f"SELECT count(*) FROM favourites WHERE {where}", args)
        return int(row[0]) if row else 0

    async def get(self, user: str, name: str) -> Favourite | None:
        """One favourite by name, in any case."""
        key = values.name_key(values.text(name, "a name", values.MAX_NAME_LEN))
        row = await self._db.fetchone(
            f"SELECT {_COLUMNS} FROM favourites WHERE user_key = ? AND name_key = ?",
            (values.key(user, "user"), key),
        )
        return None if row is None else _favourite(row)

    async def annotate(
        self,
        user: str,
        name: str,
        *,
        note: str | None = None,
        add_tags: tuple[str, ...] = (),
        remove_tags: tuple[str, ...] = (),
    ) -> Favourite | None:
        """Change a favourite's note (None leaves it; "" clears it) and tags; the favourite as
        it is now, or None if the user has not saved that name."""
        user = values.key(user, "user")
        key = values.name_key(values.text(name, "a name", values.MAX_NAME_LEN))
        note = None if note is None else values.note(note)
        adding, removing = _tags(add_tags).split(), set(_tags(remove_tags).split())
        async with self._db.transaction() as tx:
            row = await tx.fetchone(
                "SELECT tags, note FROM favourites WHERE user_key = ? AND name_key = ?",
                (user, key),
            )
            if row is None:
                return None
            tags = [t for t in dict.fromkeys([*str(row[0]).split(), *adding]) if t not in removing]
            await tx.execute(
                "UPDATE favourites SET tags = ?, note = ? WHERE user_key = ? AND name_key = ?",
                (" ".join(tags), str(row[1]) if note is None else note, user, key),
            )
            found = await tx.fetchone(
                f"SELECT {_COLUMNS} FROM favourites WHERE user_key = ? AND name_key = ?",
                (user, key),
            )
        return None if found is None else _favourite(found)

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

    async def all(self, user: str) -> tuple[Favourite, ...]:
        """Every favourite of a user, oldest first (for an export)."""
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS} FROM favourites WHERE user_key = ? ORDER BY id",
            (values.key(user, "user"),),
        )
        return tuple(_favourite(r) for r in rows)

    async def has(self, user: str, name: str) -> bool:
        """Whether the user saved this name."""
        row = await self._db.fetchone(
            "SELECT 1 FROM favourites WHERE user_key = ? AND name = ?",
            (values.key(user, "user"), values.name(name)),
        )
        return row is not None
