"""What a reply's buttons refer to, kept so that buttons survive a restart (and work on every
replica). Each reply gets an unguessable token; the bot checks who may press its buttons."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from storage import values
from storage.db import Database, now

KEEP_DAYS = 30
MAX_PAYLOAD_LEN = 20_000
TOKEN_BYTES = 16  # 128 random bits
TOKEN_LEN = 22  # len(secrets.token_urlsafe(16)): fits a 64-byte callback with room to spare
_TOKEN = re.compile(rf"[A-Za-z0-9_-]{{{TOKEN_LEN}}}")


@dataclass(frozen=True, slots=True)
class StoredReply:
    token: str
    owner: str  # the user the reply answered
    chat: str | None  # the group or server it was shown in; None in a private chat
    payload: str
    created_at: str


def is_token(text: str) -> bool:
    """Whether `text` has the form of a token (says nothing about whether it exists)."""
    return isinstance(text, str) and _TOKEN.fullmatch(text) is not None


class Replies:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, owner: str, payload: str, *, chat: str | None = None) -> str:
        """Store a payload; returns its token (22 URL-safe characters)."""
        owner = values.key(owner, "user")
        chat = None if chat is None else values.key(chat, "chat")
        payload = values.text(payload, "payload", MAX_PAYLOAD_LEN)
        while True:  # a repeat of a 128-bit token would need ~2^64 replies; retry all the same
            token = secrets.token_urlsafe(TOKEN_BYTES)
            async with self._db.transaction() as tx:
                row = await tx.fetchone(
                    "INSERT INTO replies (token, owner, chat, payload, created_at) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (token) DO NOTHING RETURNING token",
                    (token, owner, chat, payload, now()),
                )
            if row is not None:
                return token

    async def get(self, token: str) -> StoredReply | None:
        """The stored reply, or None if the token is unknown, expired or malformed."""
        if not is_token(token):
            return None
        row = await self._db.fetchone(
            "SELECT token, owner, chat, payload, created_at FROM replies WHERE token = ?",
            (token,),
        )
        return None if row is None else StoredReply(*row)

    async def take(self, token: str) -> bool:
        """Use a reply's state up: True for the one caller that removed it, False for everyone
        else (it was taken already, by another press or another replica, or never existed)."""
        if not is_token(token):
            return False
        async with self._db.transaction() as tx:
            return await tx.execute("DELETE FROM replies WHERE token = ?", (token,)) > 0

    async def prune(self, keep_days: int = KEEP_DAYS) -> int:
        """Forget replies older than `keep_days` (their buttons then answer "expired"); uses the
        index on created_at, so it is cheap enough to run every hour."""
        cutoff = (datetime.now(UTC) - timedelta(days=keep_days)).isoformat(timespec="milliseconds")
        async with self._db.transaction() as tx:
            return await tx.execute("DELETE FROM replies WHERE created_at < ?", (cutoff,))
