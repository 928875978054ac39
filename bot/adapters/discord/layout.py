"""How a Reply fits Discord's limits, decided without the SDK (so it is plain to test).

Discord allows 5 action rows under a message; a row holds up to 5 buttons, or one select menu of
up to 25 options. Message content is at most 2,000 characters, an embed description 4,096.
A names reply gets one ⭐ button per name while they fit (beside the 🔄 row and the style
menu); past that, the names go into a multi-select "⭐ save…" menu. Nothing is dropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

from bot.actions import Act
from bot.reply import Action, Reply, split_text

MAX_ROWS = 5
BUTTONS_PER_ROW = 5
MENU_OPTIONS = 25
CONTENT_LIMIT = 2000
DESCRIPTION_LIMIT = 4096
LABEL_LIMIT = 80  # a button's label
OPTION_LIMIT = 100  # a menu option's label and value


class RowKind(Enum):
    BUTTONS = "buttons"
    SAVE_MENU = "save_menu"  # multi-select: save any of the names
    STYLE_MENU = "style_menu"  # single choice: the same request in another style


@dataclass(frozen=True, slots=True)
class Row:
    kind: RowKind
    actions: tuple[Action, ...]


@dataclass(frozen=True, slots=True)
class NamesEmbed:
    """A /name reply as an embed: the names, the settings used, the style in the footer."""

    description: str
    settings: str
    footer: str


class LayoutError(Exception):
    """More actions than Discord can show; the service never makes that many."""


def rows(actions: tuple[Action, ...]) -> tuple[Row, ...]:
    """The action rows for a reply's actions: saves, then 🔄 and the other buttons, then
    one menu of the first styles offered."""
    saves = [a for a in actions if a.kind == Act.SAVE]
    styles = [a for a in actions if a.kind == Act.STYLE][:MENU_OPTIONS]  # the first, in one menu
    buttons = [a for a in actions if a.kind not in (Act.SAVE, Act.STYLE)]
    tail = [Row(RowKind.BUTTONS, t) for t in _split(buttons, BUTTONS_PER_ROW)]
    tail += [Row(RowKind.STYLE_MENU, t) for t in _split(styles, MENU_OPTIONS)]
    room = MAX_ROWS - len(tail)
    if math.ceil(len(saves) / BUTTONS_PER_ROW) <= room:
        head = [Row(RowKind.BUTTONS, t) for t in _split(saves, BUTTONS_PER_ROW)]
    else:
        head = [Row(RowKind.SAVE_MENU, t) for t in _split(saves, MENU_OPTIONS)]
    out = (*head, *tail)
    if len(out) > MAX_ROWS:
        raise LayoutError(f"{len(actions)} actions need {len(out)} rows; Discord allows 5")
    return out


def _split(actions: list[Action], size: int) -> list[tuple[Action, ...]]:
    return [tuple(actions[i : i + size]) for i in range(0, len(actions), size)]


def names_embed(reply: Reply) -> NamesEmbed | None:
    """The embed for a names reply; None for any other reply (sent as plain content)."""
    names = reply.names
    if names is None:
        return None
    lines = list(names.lines) or [names.marked(n) for n in names.names] or ["(no names found)"]
    body = "\n".join(lines)
    if reply.asides:  # a note, a hint, "buttons are off"
        body += "\n\n" + "\n".join(f"*{line}*" for line in reply.asides)
    return NamesEmbed(
        description=clip(body, DESCRIPTION_LIMIT),
        settings=names.settings or "defaults",
        footer=names.title or names.style,
    )


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def chunks(text: str, limit: int = CONTENT_LIMIT) -> list[str]:
    """A long text in pieces of at most `limit` characters, split at line breaks where it can."""
    return split_text(text, limit)
