"""Cheap builders for the service's input: who asks, where, and what (as the grammar reads it).

The service is tested with these and no network: the adapter tests keep to how a platform's
updates become these values and how replies are delivered.
"""

from __future__ import annotations

from bot import grammar
from bot.reply import Context, Upload
from bot.requests import Request

USER = "tg:1"
OTHER = "tg:2"
GROUP = "tg:-100"
STYLES = ("english", "elf")  # the test service's styles (tests/bot/conftest.py)


def ctx(
    user: str = USER,
    chat: str | None = None,
    *,
    platform: str = "console",
    group_admin: bool = False,
    must_answer: bool = False,
    upload: Upload | None = None,
    trusted: bool = False,
    chat_word: str = "group",
) -> Context:
    """A user asking in a private chat, or in `chat` (as one of its admins if `group_admin`)."""

    async def is_admin() -> bool:
        return group_admin

    return Context(
        user,
        chat,
        platform,
        chat_admin=is_admin if chat else None,
        must_answer=must_answer,
        upload=upload,
        trusted=trusted,
        chat_word=chat_word,
    )


def request(text: str) -> Request:
    """A request as the grammar builds it from a line of text."""
    parsed = grammar.parse(text, STYLES)
    assert parsed is not None, f"not a command: {text!r}"
    return parsed


def upload(content: bytes, filename: str = "names.txt") -> Upload:
    async def fetch() -> bytes:
        return content

    return Upload(filename, len(content), fetch)
