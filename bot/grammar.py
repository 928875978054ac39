"""The command grammar, the same on every platform. Pure: text in, a command or a ParseError out.

/name [prefix] [temperature] [count] [style] [female|male] [new] [key=value ...]

- A word is the prefix ("Eld"). A bare style name ("elf") or gender ("female", "male") is that
  option instead; write prefix=elf to start names with a style's name.
- A number with a decimal point is the temperature (0.1 to 3); a whole number is the count.
  Two numbers are the temperature, then the count: /name Eld 1 10.
- Named options: style= gender= (f, m, female, male) len=4-8 (or len=6) ends= contains=
  count= temp= prefix= and the bare word `new` (only names not in the training list).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field, replace

from engine.sampling import TEMPERATURE_MAX, TEMPERATURE_MIN

MAX_COUNT = 20
COMMANDS = (
    "name", "styles", "rate", "fav", "favs", "unfav", "export", "settings", "reset",
    "help", "start", "stats",
)  # fmt: skip
GENDER_WORDS = {"female": "female", "male": "male", "f": "female", "m": "male"}
TEMP_HELP = (
    f"temperature must be a number between {TEMPERATURE_MIN:g} and {TEMPERATURE_MAX:g}, "
    "e.g. /name Eld 0.7"
)
_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)")


class ParseError(Exception):
    """Bad command input; the message says what was wrong and what is allowed."""


@dataclass(frozen=True, slots=True)
class NameOptions:
    """What /name (and /settings) can set; None = use the user's default."""

    prefix: str = ""
    temperature: float | None = None
    count: int | None = None
    style: str | None = None
    gender: str | None = None
    min_len: int | None = None
    max_len: int | None = None
    ends_with: str = ""
    contains: str = ""
    new_only: bool = False


@dataclass(frozen=True, slots=True)
class Command:
    name: str  # one of COMMANDS
    args: tuple[str, ...] = ()  # the words after the command
    options: NameOptions = field(default_factory=NameOptions)  # for /name and /settings


def split_command(text: str, bot_username: str | None = None) -> tuple[str, list[str]] | None:
    """("name", ["Eld", "0.7"]) from "/name@MyBot Eld 0.7"; None if not a command for us."""
    words = text.strip().split()
    if not words or not words[0].startswith("/") or len(words[0]) < 2:
        return None
    head, _, target = words[0][1:].partition("@")
    if target and bot_username and target.casefold() != bot_username.casefold():
        return None  # addressed to another bot in the group
    return head.casefold(), words[1:]


def parse(text: str, styles: Collection[str], bot_username: str | None = None) -> Command | None:
    """Parse one message; None if it is not a command (or is another bot's)."""
    split = split_command(text, bot_username)
    if split is None:
        return None
    name, words = split
    if name not in COMMANDS:
        raise ParseError(f"unknown command /{name}; send /help to see what I can do")
    if name == "name":
        return Command(name, tuple(words), parse_name_options(words, styles))
    if name == "settings":
        return Command(name, tuple(words), parse_settings(words, styles))
    return Command(name, tuple(words))


def _number(word: str) -> float | None:
    return float(word.replace(",", ".")) if _NUMBER.fullmatch(word) else None


def _temperature(value: str) -> float:
    t = _number(value)
    if t is None or not TEMPERATURE_MIN <= t <= TEMPERATURE_MAX:
        raise ParseError(TEMP_HELP)
    return t


def _count(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= MAX_COUNT:
        raise ParseError(
            f"count must be a whole number from 1 to {MAX_COUNT}, e.g. /name Eld 0.7 5"
        )
    return int(value)


def _length(value: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d+)(?:-(\d+))?", value)
    if not m:
        raise ParseError("len takes a length or a range, e.g. len=6 or len=4-8")
    lo = int(m[1])
    hi = int(m[2]) if m[2] else lo
    if not 1 <= lo <= hi:
        raise ParseError(f"len={value}: the shortest must be at least 1 and at most the longest")
    return lo, hi


def _gender(value: str) -> str:
    try:
        return GENDER_WORDS[value.casefold()]
    except KeyError:
        raise ParseError(f"gender must be female or male (f or m), not {value!r}") from None


def _style(value: str, styles: Collection[str]) -> str:
    style = value.casefold()
    if style not in styles:
        raise ParseError(f"unknown style {value!r}; choose one of: {', '.join(sorted(styles))}")
    return style


def _option(opts: NameOptions, key: str, value: str, styles: Collection[str]) -> NameOptions:
    key = key.casefold()
    if not value:
        raise ParseError(f"{key}= needs a value, e.g. {key}=" + _EXAMPLES.get(key, "…"))
    if key in ("temp", "temperature", "t"):
        return replace(opts, temperature=_temperature(value))
    if key in ("count", "n"):
        return replace(opts, count=_count(value))
    if key == "style":
        return replace(opts, style=_style(value, styles))
    if key in ("gender", "g"):
        return replace(opts, gender=_gender(value))
    if key in ("len", "length"):
        lo, hi = _length(value)
        return replace(opts, min_len=lo, max_len=hi)
    if key in ("ends", "end"):
        return replace(opts, ends_with=value)
    if key == "contains":
        return replace(opts, contains=value)
    if key in ("prefix", "start"):
        return replace(opts, prefix=value)
    raise ParseError(
        f"unknown option {key}=; options are style= gender= len= ends= contains= count= "
        "temp= prefix= and the word new"
    )


_EXAMPLES = {"style": "elf", "gender": "f", "len": "4-8", "ends": "iel", "contains": "ar"}


def parse_name_options(words: list[str], styles: Collection[str]) -> NameOptions:
    opts = NameOptions()
    prefix_given = False
    numbers: list[str] = []
    for word in words:
        key, eq, value = word.partition("=")
        if eq:
            opts = _option(opts, key, value, styles)
            prefix_given = prefix_given or key.casefold() in ("prefix", "start")
        elif word.casefold() == "new":
            opts = replace(opts, new_only=True)
        elif word.casefold() in ("female", "male"):
            opts = replace(opts, gender=word.casefold())
        elif word.casefold() in styles:
            opts = replace(opts, style=word.casefold())
        elif _number(word) is not None:
            numbers.append(word)
        elif not prefix_given:
            opts = replace(opts, prefix=word)
            prefix_given = True
        elif not numbers and opts.temperature is None:
            raise ParseError(TEMP_HELP)  # "/name Eld hot": a word where a number belongs
        else:
            raise ParseError(
                f"I don't understand {word!r}: give one prefix, then a temperature and a count, "
                "e.g. /name Eld 0.7 5"
            )
    if len(numbers) > 2:
        raise ParseError("too many numbers: give a temperature and then a count, e.g. /name 0.7 5")
    if len(numbers) == 2:
        return replace(opts, temperature=_temperature(numbers[0]), count=_count(numbers[1]))
    if numbers:
        word = numbers[0]
        is_whole = word.lstrip("+-").isdigit()
        if is_whole:
            return replace(opts, count=_count(word))
        return replace(opts, temperature=_temperature(word))
    return opts


def parse_settings(words: list[str], styles: Collection[str]) -> NameOptions:
    """/settings [chat] key=value ...: style, temperature, count and gender are defaults.
    A leading "chat" (a group admin's) is left in Command.args for the service."""
    opts = NameOptions()
    for word in words[1:] if words[:1] == ["chat"] else words:
        key, eq, value = word.partition("=")
        if not eq or key.casefold() not in (
            "style", "temperature", "temp", "t", "count", "n", "gender", "g"
        ):  # fmt: skip
            raise ParseError(
                "settings are style, temperature, count and gender, "
                "e.g. /settings temperature=0.8 style=dwarf count=5 gender=f"
            )
        opts = _option(opts, key, value, styles)
    return opts
