"""Per-user and per-chat defaults: a user's own setting wins over the chat's, the chat's over
the product defaults the caller passes in."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from storage import values
from storage.db import Database, Row, now
from storage.errors import InvalidValue
from storage.favourites import touch_user


@dataclass(frozen=True, slots=True)
class Preferences:
    """Defaults for /name; None means "not set here".

    `gender` is any short text the bot understands; "any" (explicitly any gender) is a value
    like the others. `new_only` is the saved default of /name's `new` option; `word_filter`
    False relaxes the filter of offensive names (a group admin's choice for their group).
    """

    style: str | None = None
    temperature: float | None = None
    count: int | None = None
    gender: str | None = None
    new_only: bool | None = None
    word_filter: bool | None = None

    def over(self, fallback: Preferences) -> Preferences:
        """These preferences, with unset fields taken from `fallback`."""
        return replace(
            fallback,
            **{f.name: v for f in fields(self) if (v := getattr(self, f.name)) is not None},
        )


_UNSET = Preferences()
_COLUMNS = tuple(f.name for f in fields(Preferences))
_SELECT = ", ".join(_COLUMNS)
# Fields given in the change win; NULL (not given) keeps what is stored. One statement, so two
# processes changing different fields at once both keep their change.
_UPSERT = (
    f"INSERT INTO preferences (scope, key, {_SELECT}, updated_at, updated_by) "
    f"VALUES (?, ?, {', '.join('?' for _ in _COLUMNS)}, ?, ?) "
    "ON CONFLICT (scope, key) DO UPDATE SET "
    + ", ".join(f"{c} = coalesce(excluded.{c}, preferences.{c})" for c in _COLUMNS)
    + ", updated_at = excluded.updated_at, updated_by = excluded.updated_by "
    f"RETURNING {_SELECT}"
)


def _checked(p: Preferences) -> Preferences:
    if p.count is not None and (isinstance(p.count, bool) or not isinstance(p.count, int)):
        raise InvalidValue("count must be a whole number")
    return Preferences(
        style=None if p.style is None else values.key(p.style, "style"),
        temperature=values.temperature(p.temperature),
        count=p.count,
        gender=None if p.gender is None else values.key(p.gender, "gender"),
        new_only=values.flag(p.new_only, "new"),
        word_filter=values.flag(p.word_filter, "filter"),
    )


def _from_row(row: Row | None) -> Preferences:
    if row is None:
        return _UNSET
    style, temperature, count, gender, new_only, word_filter = row
    new = None if new_only is None else bool(new_only)  # SQLite keeps 0 / 1
    filtered = None if word_filter is None else bool(word_filter)
    return Preferences(style, temperature, count, gender, new, filtered)


class Settings:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def _get(self, scope: str, key: str) -> Preferences:
        row = await self._db.fetchone(
            f"SELECT {_SELECT} FROM preferences WHERE scope = ? AND key = ?",
            (scope, values.key(key)),
        )
        return _from_row(row)

    async def _set(self, scope: str, key: str, by: str, changes: Preferences) -> Preferences:
        """Merge the fields set in `changes` into the stored row, in one statement."""
        key, by = values.key(key), values.key(by, "user")
        changes = _checked(changes)
        async with self._db.transaction() as tx:
            if scope == "user":
                await touch_user(tx, key)
            row = await tx.fetchone(
                _UPSERT, (scope, key, *(getattr(changes, c) for c in _COLUMNS), now(), by)
            )
        return _from_row(row)

    async def _reset(self, scope: str, key: str) -> None:
        async with self._db.transaction() as tx:
            await tx.execute(
                "DELETE FROM preferences WHERE scope = ? AND key = ?", (scope, values.key(key))
            )

    async def user(self, user: str) -> Preferences:
        return await self._get("user", user)

    async def set_user(self, user: str, changes: Preferences) -> Preferences:
        """Set the fields given in `changes` (others keep their value); returns the result."""
        return await self._set("user", user, user, changes)

    async def reset_user(self, user: str) -> None:
        await self._reset("user", user)

    async def chat(self, chat: str) -> Preferences:
        return await self._get("chat", chat)

    async def set_chat(self, chat: str, by: str, changes: Preferences) -> Preferences:
        return await self._set("chat", chat, by, changes)

    async def reset_chat(self, chat: str) -> None:
        await self._reset("chat", chat)

    async def effective(self, user: str, chat: str | None, defaults: Preferences) -> Preferences:
        """What applies to `user` in `chat`: user's own, then the chat's, then `defaults`."""
        chat_prefs = await self.chat(chat) if chat else _UNSET
        return (await self.user(user)).over(chat_prefs.over(defaults))
