"""What the service answers, independent of any chat platform; adapters render it.

A Reply carries meaning, not layout: the text, the names it offers (if any) and the actions a
user can take on it (save this name, more like this, switch style, next page, confirm). Each
adapter lays the actions out within its platform's limits: Telegram as an inline keyboard,
Discord as buttons and select menus, the console as numbered choices. Nothing is dropped: an
adapter that cannot show one button per action shows a menu instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Protocol

from bot import texts
from bot.actions import Act


@dataclass(frozen=True, slots=True)
class Action:
    kind: Act
    label: str  # the bare thing acted on: a name, a style, "older"
    data: str  # the payload Service.on_button takes back, built by bot.actions

    @property
    def caption(self) -> str:
        """The label as a button shows it."""
        return {
            Act.SAVE: f"⭐ {self.label}",
            Act.MORE: f"🔄 {self.label}",
            Act.STYLE: f"🎲 {self.label}",
        }.get(self.kind, self.label)


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content: bytes


@dataclass(frozen=True, slots=True)
class NameList:
    """The structured part of a /name reply, for platforms that render it richly (embeds)."""

    style: str
    settings: str  # the options used, e.g. "female · t=0.7 · starts Eld"
    names: tuple[str, ...]
    real: frozenset[str] = frozenset()  # those in the style's list of real names
    title: str = ""  # what the style is when its name does not say: "a blend of elf 70% + …"
    # How each name is shown when more than the name is said (a party's "Thorin — dwarf, male",
    # a table's " 1. Elarion"); empty: the names, marked.
    lines: tuple[str, ...] = ()

    def marked(self, name: str) -> str:
        """A name as a list shows it: a real one carries the mark the legend explains."""
        return f"{name} {texts.REAL_MARK}" if name in self.real else name


@dataclass(frozen=True, slots=True)
class Reply:
    text: str  # the answer itself; its asides are the fields below, never inside it
    actions: tuple[Action, ...] = ()
    file: Attachment | None = None
    private: bool = False  # only the asker should see it, where the platform can do that
    names: NameList | None = None
    notes: tuple[str, ...] = ()  # asides: why fewer names came, a hint about the command
    buttons_off: bool = False  # the buttons could not be stored, so there are none: say so
    saved: str | None = None  # the name this answer says is among the favourites now

    def of(self, kind: Act) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.kind == kind)

    @property
    def asides(self) -> tuple[str, ...]:
        """The notes and the buttons-off line, each as one line of plain text."""
        lines = tuple(f"({note})" for note in self.notes)
        return (*lines, texts.NO_BUTTONS) if self.buttons_off else lines

    @property
    def plain(self) -> str:
        """The whole answer as plain text, asides after the answer: every platform can show
        this alone."""
        return "\n".join((self.text, *self.asides))


@dataclass(frozen=True, slots=True)
class Upload:
    """A file a user sent with a command; fetched only once its size was found acceptable."""

    filename: str
    size: int | None  # as the platform reports it before any download, when it does
    fetch: Callable[[], Awaitable[bytes]]


class Notifier(Protocol):
    """Messages a long job (a retrain) sends to the chat it was asked from, after its reply."""

    async def send(self, reply: Reply) -> Hashable:
        """Send a message; returns a handle to edit it by."""

    async def edit(self, handle: Hashable, text: str) -> None:
        """Replace the text of a message sent by `send` (best effort)."""


def split_text(text: str, limit: int) -> list[str]:
    """A text in pieces of at most `limit` characters: whole paragraphs (parts between blank
    lines, such as /styles' groups) together where they fit, a longer paragraph split at line
    breaks, and hard inside a giant line; never an empty piece."""
    out: list[str] = []
    current = ""
    for paragraph in (text or "…").split("\n\n"):
        if not paragraph.strip():  # a run of blank lines
            continue
        candidate = f"{current}\n\n{paragraph}" if current else paragraph
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            out.append(current)
        *whole, current = _split_lines(paragraph, limit)
        out += whole
    out.append(current or "…")
    return out


def _split_lines(text: str, limit: int) -> list[str]:
    out: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                out.append(current)
                current = ""
            out.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            out.append(current)
            current = line
        else:
            current = candidate
    out.append(current or "…")
    return out


@dataclass(frozen=True, slots=True)
class Context:
    """Who is asking, and where."""

    user: str  # platform-neutral key: "tg:123", "dc:456", "console:local"
    chat: str | None = None  # the group or server, None in a private chat
    platform: str = "console"
    # Asks the platform whether the user administers `chat`; only called when it matters.
    chat_admin: Callable[[], Awaitable[bool]] | None = None
    # A send budget the platform shares among the people of one chat (Telegram's 20 messages a
    # minute per group), or None where each answer has its own (Discord's interactions).
    shared_budget: str | None = None
    upload: Upload | None = None  # a file sent with the command
    notify: Notifier | None = None  # for messages after the reply (progress, results)
    # The platform must answer every request, even one over the rate limit that was already
    # told once (a Discord interaction left unanswered shows the user an error).
    must_answer: bool = False
    chat_word: str = "group"  # what the platform calls a chat of many ("server" on Discord)
    trusted: bool = False  # the only user of a console: no rate limit
