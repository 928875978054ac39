"""Per-user and per-chat defaults: a user's own setting wins over the chat's, the chat's over
the product defaults the caller passes in."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from storage import values
from storage.db import Database, now
from storage.favourites import touch_user


@dataclass(frozen=True, slots=True)
class Preferences:
    """Defaults for /name; None means "not set here"."""

    style: str | None = None
    temperature: float | None = None
    count: int | None = None
    gender: str | None = None

    def over(self, fallback: Preferences) -> Preferences:
        """These preferences, with unset fields taken from `fallback`."""
        return replace(
            fallback,
            **{f.name: v for f in fields(self) if (v := getattr(self, f.name)) is not None},
        )


_UNSET = Preferences()
_COLUMNS = tuple(f.name for f in fields(Preferences))


def _checked(p: Preferences) -> Preferences:
    return Preferences(
        style=None if p.style is None else values.key(p.style, "style"),
        temperature=values.temperature(p.temperature),
        count=p.count,
        gender=None if p.gender is None else values.key(p.gender, "gender"),
    )


class Settings:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def _get(self, scope: str, key: str) -> Preferences:
        row = await self._db.fetchone(
            f"SELECT {', '.join(_COLUMNS)} FROM preferences WHERE scope = ? AND key = ?",
            (scope, values.key(key)),
        )
        return Preferences(*row) if row else _UNSET

    async def _set(self, scope: str, key: str, by: str, changes: Preferences) -> Preferences:
        """Merge the fields set in `changes` into the stored row, in one transaction."""
        key, by = values.key(key), values.key(by, "user")
        changes = _checked(changes)
        async with self._db.transaction() as conn:
            if scope == "user":
                await touch_user(conn, key)
            async with conn.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM preferences WHERE scope = ? AND key = ?",
                (scope, key),
            ) as cur:
                row = await cur.fetchone()
            merged = changes.over(Preferences(*row) if row else _UNSET)
            params: list[Any] = [getattr(merged, c) for c in _COLUMNS]
            await conn.execute(
                "INSERT INTO preferences (scope, key, style, temperature, count, gender, "
                "updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (scope, key) DO UPDATE SET style = excluded.style, "
                "temperature = excluded.temperature, count = excluded.count, "
                "gender = excluded.gender, updated_at = excluded.updated_at, "
                "updated_by = excluded.updated_by",
                (scope, key, *params, now(), by),
            )
        return merged

    async def _reset(self, scope: str, key: str) -> None:
        async with self._db.transaction() as conn:
            await conn.execute(
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
