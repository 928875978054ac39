"""The one owner of the button format: what a button's payload says, built and read here only.

A payload is ASCII words joined by ":", the first word the action (`fav:<token>:3`,
`more:<token>`, `style:<token>:elf`, `favs:2`, `favs:2:<token>`, `confirm:<token>:all`);
`<token>` names the reply state the service stored. Every platform carries it as it is
(Telegram's callback data, Discord's custom id), so it stays within the smallest limit,
Telegram's 64 bytes.
Anything that does not read back as a payload built here is None: an expired or forged button.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

MAX_DATA_BYTES = 64  # the smallest platform limit on a button's payload (Telegram's)
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,43}", re.ASCII)
_STYLE = re.compile(r"[a-z][a-z0-9_+:-]{0,40}", re.ASCII)
_WHOLE = re.compile(r"[0-9]{1,4}", re.ASCII)


class Act(StrEnum):
    """What an action does; the value is the first word of its payload."""

    SAVE = "fav"  # save one of the reply's names
    MORE = "more"  # the same request again, never repeating a name already shown
    STYLE = "style"  # the same request in another style
    PAGE = "favs"  # another page of favourites
    CONFIRM = "confirm"  # carry out a destructive command the user asked for


class Confirm(StrEnum):
    """What a confirm button confirms."""

    ALL = "all"  # forget every favourite
    ONE = "one"  # forget only the favourite literally named "all"


@dataclass(frozen=True, slots=True)
class Press:
    """A button press, read back: the action and what it needs."""

    act: Act
    token: str = ""  # the stored reply state (every action; a PAGE's only when filtered)
    index: int = 0  # SAVE: which of the reply's names
    style: str = ""  # STYLE: the style to ask in
    page: int = 0  # PAGE: which page
    confirm: Confirm = Confirm.ALL  # CONFIRM: what


def save(token: str, index: int) -> str:
    return _checked(f"{Act.SAVE}:{token}:{index}")


def more(token: str) -> str:
    return _checked(f"{Act.MORE}:{token}")


def style(token: str, name: str) -> str:
    return _checked(f"{Act.STYLE}:{token}:{name}")


def page(number: int, token: str | None = None) -> str:
    """Another page of favourites; `token` names the state of a filtered list."""
    return _checked(f"{Act.PAGE}:{number}" + (f":{token}" if token else ""))


def confirm(token: str, what: Confirm) -> str:
    return _checked(f"{Act.CONFIRM}:{token}:{what}")


def _checked(data: str) -> str:
    if len(data.encode("ascii")) > MAX_DATA_BYTES:
        raise ValueError(f"a button payload over {MAX_DATA_BYTES} bytes: {data!r}")
    return data


def act_of(data: str) -> Act | None:
    """The action a payload names (for logs and for how to answer), before it is validated."""
    word = data.split(":", 1)[0]
    return Act(word) if word in set(Act) else None


def parse(data: str) -> Press | None:
    """The press a payload describes, or None when it is not one built here."""
    act = act_of(data)
    if act is None or len(data) > MAX_DATA_BYTES:
        return None
    words = data.split(":")[1:]
    if act is Act.PAGE:
        if not 1 <= len(words) <= 2 or not _WHOLE.fullmatch(words[0]) or int(words[0]) < 1:
            return None
        if len(words) == 2 and not _TOKEN.fullmatch(words[1]):
            return None
        return Press(act, words[1] if len(words) == 2 else "", page=int(words[0]))
    if not words or not _TOKEN.fullmatch(words[0]):
        return None
    token, rest = words[0], words[1:]
    if act is Act.MORE and not rest:
        return Press(act, token)
    if act is Act.SAVE and len(rest) == 1 and _WHOLE.fullmatch(rest[0]):
        return Press(act, token, index=int(rest[0]))
    if act is Act.STYLE and rest and _STYLE.fullmatch(":".join(rest)):
        return Press(act, token, style=":".join(rest))
    if act is Act.CONFIRM and len(rest) == 1 and rest[0] in set(Confirm):
        return Press(act, token, confirm=Confirm(rest[0]))
    return None
