"""What the service answers, independent of any chat platform; adapters render it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    data: str  # callback data, at most 64 bytes (Telegram's limit)


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content: bytes


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()  # rows of buttons
    file: Attachment | None = None


@dataclass(frozen=True, slots=True)
class Context:
    """Who is asking, and where."""

    user: str  # platform-neutral key: "tg:123", "dc:456", "console:local"
    chat: str | None = None  # the group or server, None in a private chat
    platform: str = "console"
    # Asks the platform whether the user administers `chat`; only called when it matters.
    chat_admin: Callable[[], Awaitable[bool]] | None = None
