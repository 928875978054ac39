"""The command grammar, the same on every platform. Pure: text in, a typed request (bot.requests)
or a ParseError out.

/name [prefix] [temperature] [count] [style] [female|male|f|m] [new] [full] [key=value ...]

- A word is the prefix ("Eld"). A bare style name ("elf") or gender ("female", "male", "f", "m")
  is that option instead; write prefix=elf (or prefix=F) to start names with such a word.
- A number with a decimal point is the temperature (0.1 to 3); a whole number is the count,
  in any order: /name elf 3 0.7 and /name elf 0.7 3 ask the same. Two of a kind are refused.
- Named options: style= gender= (f, m, n, female, male, neutral, any) len=4-8 (or len=6) ends=
  contains= count= temp= prefix= like= (a name to resemble, or `favs`) country= (a town's
  country) and the bare words `new` (only names not in the training list), `full` (given name
  and family name) and `table` (a numbered d20 table: 20 names unless a count is given).
- A style may be a blend: elf+dwarf, elf:70+dwarf:30, or an alias such as half-elf.
- Saying one thing twice in two ways (two styles, two genders, two prefixes) is refused.

Typed options (Discord's slash commands) become requests through the builders below
(`name_request`, `rate_request`, `retrain_request`, …), which validate each field with the same
code as the words of a text command.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Collection, Mapping
from dataclasses import replace

from bot import texts
from bot.requests import (
    ANY_RACE,
    EXPORT_FORMATS,
    MAX_COUNT,
    MAX_PARTY,
    STYLE_GROUPS,
    AuditRequest,
    ExportRequest,
    FavRequest,
    FavsRequest,
    HelpRequest,
    NameOptions,
    NameRequest,
    NoteRequest,
    NpcRequest,
    PartyRequest,
    RateRequest,
    Request,
    ResetRequest,
    RetrainRequest,
    RollbackRequest,
    SettingsRequest,
    StartRequest,
    StatsRequest,
    StylesRequest,
    TagRequest,
    UnfavRequest,
)
from engine.blends import is_blend, parse_blend
from engine.corpora.places import KINDS as PLACE_KINDS
from engine.corpora.recipes import PLACES as PLACE_STYLES
from engine.corpora.sources import TOWN_LISTS
from engine.errors import RequestError, UnknownStyle
from engine.limits import (
    MAX_AFFIX_LEN,
    NEUTRAL,
    NEUTRAL_WORDS,
    STYLE_NAME,
    TEMPERATURE_MAX,
    TEMPERATURE_MIN,
)

MAX_ECHO = 24  # characters of a user's word quoted back in an error
MAX_RATE_WORDS = 4  # /rate takes one name: a full name of up to four words
COMMANDS = (
    "name", "table", "npc", "party", "styles", "rate", "fav", "favs", "note", "tag", "unfav",
    "export", "settings", "reset", "help", "start", "stats", "retrain", "rollback", "audit",
)  # fmt: skip
NOTE_MARKS = ("—", "–", "-", ":")  # a word that says "the note starts here"
RETRAIN_ACTIONS = ("status", "cancel")
# Neutral: names that sound neither female nor male (not "any", which mixes both).
GENDER_WORDS = {
    "female": "female", "male": "male", "f": "female", "m": "male",
    **{word: NEUTRAL for word in NEUTRAL_WORDS if word != "n"},  # a bare n is a prefix
}  # fmt: skip
ANY_GENDER = "any"  # an explicit "any gender", which overrides a saved default
LIKE_FAVOURITES = "favs"  # like=favs: names like your favourites
MAX_LIKE_LEN = 32
TOWN_COUNTRIES = frozenset(TOWN_LISTS)  # "/name towns german": german is a country there
# Words people try as styles, and the style that comes closest.
STYLE_ALIASES = {
    "orcs": "orc", "orcish": "orc", "kobold": "goblin", "tieflings": "tiefling",
    "dragonborns": "dragonborn", "rulebook": "dnd-elf", "high-elf": "dnd-elf",
    "elven": "elf", "elvish": "elf", "elves": "elf", "dwarven": "dwarf", "dwarves": "dwarf",
    "dwarfs": "dwarf", "hobbit": "halfling", "hobbits": "halfling", "gnome": "halfling",
    "english": "english", "british": "english", "american": "english", "surname": "surnames",
    "lastname": "surnames", "family": "surnames", "medieval": "human", "knight": "human",
}  # fmt: skip
TEMP_HELP = (
    f"temperature must be a number between {TEMPERATURE_MIN:g} and {TEMPERATURE_MAX:g}, "
    "e.g. /name Eld 0.7"
)
COUNT_HELP = f"count must be a whole number from 1 to {MAX_COUNT}, e.g. /name Eld 0.7 5"
# ASCII digits only and a bounded length: "²", "٣" or 5,000 digits are words, not numbers.
_NUMBER = re.compile(r"[+-]?([0-9]{1,4}([.,][0-9]{0,4})?|[.,][0-9]{1,4})", re.ASCII)
_WHOLE = re.compile(r"[0-9]{1,4}", re.ASCII)


class ParseError(Exception):
    """Bad command input; the message says what was wrong and what is allowed."""


def shown(text: str, limit: int = MAX_ECHO) -> str:
    """A user's text quoted for an error: bounded, and with invisible characters made visible."""
    out = []
    for c in text[:limit]:
        if c == " ":
            out.append("␣")
        elif unicodedata.category(c) in ("Cc", "Cf", "Zs", "Zl", "Zp", "Co", "Cn"):
            out.append(f"<U+{ord(c):04X}>")
        else:
            out.append(c)
    return "'" + "".join(out) + ("…" if len(text) > limit else "") + "'"


def whole_number(text: str, *, limit: int = 9999) -> int | None:
    """A small whole number written in ASCII digits, else None (never an exception)."""
    if not _WHOLE.fullmatch(text):
        return None
    value = int(text)
    return value if value <= limit else None


def split_command(text: str, bot_username: str | None = None) -> tuple[str, list[str]] | None:
    """("name", ["Eld", "0.7"]) from "/name@MyBot Eld 0.7"; None if not a command for us."""
    words = text.strip().split()
    if not words or not words[0].startswith("/") or len(words[0]) < 2:
        return None
    head, _, target = words[0][1:].partition("@")
    if target and bot_username and target.casefold() != bot_username.casefold():
        return None  # addressed to another bot in the group
    return head.casefold(), words[1:]


def plain_command(text: str, styles: Collection[str]) -> str | None:
    """A message without a slash, read as the command it most likely is (in a private chat,
    where every message is for the bot): "name elf" → "/name elf", "elf 0.7" or a bare number
    → "/name elf 0.7"; None when it reads as no command."""
    words = text.split()
    if not words:
        return None
    first = words[0].casefold()
    if first in COMMANDS:
        return "/" + " ".join(words)
    if first in styles or first in GENDER_WORDS or _number(first) is not None:
        return "/name " + " ".join(words)
    return None


def parse(text: str, styles: Collection[str], bot_username: str | None = None) -> Request | None:
    """Parse one message into its request; None if it is not a command (or is another bot's)."""
    split = split_command(text, bot_username)
    return None if split is None else request_of(*split, styles)


def request_of(name: str, words: list[str], styles: Collection[str]) -> Request:
    """The request of a command already split into its name and words (split_command)."""
    if name not in COMMANDS:
        close = difflib.get_close_matches(name, COMMANDS, n=1, cutoff=0.6)
        hint = f"did you mean /{close[0]}? " if close else ""
        raise ParseError(f"unknown command /{shown(name)[1:-1]}; {hint}send /help to see all")
    return _PARSERS[name](words, styles)


def _npc_words(words: list[str], styles: Collection[str]) -> Request:
    """/npc [race] [gender]."""
    race, gender = ANY_RACE, None
    for word in words:
        folded = word.casefold()
        if folded in (*GENDER_WORDS, ANY_GENDER, "n") and gender is None:
            gender = None if folded == ANY_GENDER else _gender(folded)
        elif not race and (folded in styles or is_blend(folded) or word.isalpha()):
            race = _style(folded, styles)
        else:
            raise ParseError(
                f"/npc takes a race and a gender, e.g. /npc dwarf female; not {shown(word)}"
            )
    return NpcRequest(_race(race), gender)


def party_request(words: list[str], styles: Collection[str]) -> PartyRequest:
    """/party elf dwarf halfling human, or /party 4 for a random mix (words or a typed
    option's words: the same checks)."""
    if len(words) == 1 and _WHOLE.fullmatch(words[0]):
        size = int(words[0])
        if not 1 <= size <= MAX_PARTY:
            raise ParseError(f"a party has 1 to {MAX_PARTY} members, e.g. /party 4")
        return PartyRequest((ANY_RACE,) * size)
    if not words:
        raise ParseError(
            f"name the party's members (up to {MAX_PARTY}), e.g. /party elf dwarf halfling "
            "human, or give a number for a random mix: /party 4"
        )
    if len(words) > MAX_PARTY:
        raise ParseError(f"a party has at most {MAX_PARTY} members; {len(words)} were given")
    return PartyRequest(tuple(_race(_style(w, styles)) for w in words))


def _race(style: str) -> str:
    if style in PLACE_KINDS:
        raise ParseError(f"{style} is a kind of place, not a race; try /name {style}")
    return style


def _name_words(words: list[str], styles: Collection[str]) -> Request:
    opts, hints = parse_name_options(words, styles)
    return NameRequest(opts, hints)


def _settings_words(words: list[str], styles: Collection[str]) -> Request:
    chat = words[:1] == ["chat"]
    return SettingsRequest(parse_settings(words[1:] if chat else words, styles), chat=chat)


def _rate_words(words: list[str], styles: Collection[str]) -> Request:
    """/rate <name> [style] [gender]: a style and a gender may follow the name's words."""
    words = list(words)
    style, gender = None, None
    while len(words) > 1:
        last = words[-1].casefold()
        if last in styles and style is None:
            style = last
        elif last in GENDER_WORDS and gender is None:
            gender = GENDER_WORDS[last]
        else:
            break
        words.pop()
    return rate_request(" ".join(words), style, styles, gender)


def _fav_words(words: list[str], styles: Collection[str]) -> Request:
    """/fav Marianne Dashwood #book2 — elder sister: the name, its tags, its note."""
    before, note = split_note(words)
    tags = tuple(w for w in before if w.startswith("#"))
    return fav_request(" ".join(w for w in before if not w.startswith("#")), tags, note or "")


def _favs_words(words: list[str], styles: Collection[str]) -> Request:
    tags = [w for w in words if w.startswith("#")]
    rest = [w for w in words if not w.startswith("#")]
    if len(tags) > 1 or len(rest) > 1:
        raise ParseError("/favs takes a tag and a page, e.g. /favs #book2 2")
    page = whole_number(rest[0]) if rest else 1
    return favs_request(page, tags[0] if tags else None)


def _note_words(words: list[str], styles: Collection[str]) -> Request:
    before, note = split_note(words)
    if not before:
        raise ParseError("say which favourite, e.g. /note Eldrin — a wandering bard, or /note 2 …")
    return NoteRequest(tuple(before), note)


def _tag_words(words: list[str], styles: Collection[str]) -> Request:
    add = tuple(w for w in words if w.startswith("#"))
    remove = tuple(w[1:] for w in words if w.startswith("-#"))
    target = tuple(w for w in words if not w.startswith(("#", "-#")))
    if not target or not (add or remove):
        raise ParseError(
            "usage: /tag <name or number> #tag … to add tags, -#tag to take one off, "
            "e.g. /tag Eldrin #book2 -#draft"
        )
    return TagRequest(target, add, remove)


def _export_words(words: list[str], styles: Collection[str]) -> Request:
    return export_request(words[0] if words else None)


def split_note(words: list[str]) -> tuple[list[str], str | None]:
    """The words before a note mark ("—", "-", ":" alone, or a word ending in ":") and the note
    after it; (words, None) when there is no mark."""
    for i, word in enumerate(words):
        if word in NOTE_MARKS:
            return words[:i], " ".join(words[i + 1 :])
        if word.endswith(":") and len(word) > 1:
            return [*words[:i], word[:-1]], " ".join(words[i + 1 :])
        if "—" in word:
            head, _, tail = word.partition("—")
            return [*words[:i], *([head] if head else [])], " ".join(
                [*([tail] if tail else []), *words[i + 1 :]]
            )
    return words, None


def _rollback_words(words: list[str], styles: Collection[str]) -> Request:
    return rollback_request(" ".join(words))


def _help_words(words: list[str], styles: Collection[str]) -> Request:
    return help_request(words[0] if words else None)


_PARSERS: dict[str, Callable[[list[str], Collection[str]], Request]] = {
    "name": _name_words,
    "table": lambda words, styles: _name_words([*words, "table"], styles),
    "npc": lambda words, styles: _npc_words(words, styles),
    "party": lambda words, styles: party_request(words, styles),
    "settings": _settings_words,
    "retrain": lambda words, styles: parse_retrain(words),
    "rate": _rate_words,
    "fav": _fav_words,
    "favs": _favs_words,
    "note": _note_words,
    "tag": _tag_words,
    "unfav": lambda words, styles: unfav_request(" ".join(words)),
    "export": _export_words,
    "reset": lambda words, styles: ResetRequest(),
    "help": _help_words,
    "start": lambda words, styles: StartRequest(),
    "stats": lambda words, styles: StatsRequest(),
    "rollback": _rollback_words,
    "audit": lambda words, styles: AuditRequest(),
    "styles": lambda words, styles: styles_request(" ".join(words), styles),
}


_GROUP_WORDS = {"family": "family names", "races": "fantasy"}


def styles_request(text: str, styles: Collection[str]) -> StylesRequest:
    """/styles, /styles cultures, /styles greek: a group's name (or "family") or a style."""
    word = " ".join(text.split()).casefold()
    if not word:
        return StylesRequest()
    if word in styles:  # before the group words: "surnames" is a style too
        return StylesRequest(word)
    if word in STYLE_GROUPS or word in _GROUP_WORDS:
        return StylesRequest(_GROUP_WORDS.get(word, word))
    close = _closest_style(word, styles)
    hint = f"; did you mean {close}?" if close else ""
    raise ParseError(
        f"/styles takes a group ({', '.join(STYLE_GROUPS)}) or a style, not {shown(text)}{hint}"
    )


# --- requests from typed options (a slash command's), validated as the words are ----------


def rate_request(
    name: str, style: str | None, styles: Collection[str], gender: str | None = None
) -> RateRequest:
    words = tuple(name.split())
    if not words:
        raise ParseError("give a name to rate, e.g. /rate Aragorn or /rate Mary Jane female")
    if len(words) > MAX_RATE_WORDS:
        raise ParseError("rate one name at a time: up to four words, e.g. /rate Mary Jane")
    chosen = _style(style.strip(), styles) if style and style.strip() else None
    return RateRequest(words, chosen, gender)


def fav_request(name: str, tags: Collection[str] = (), note: str = "") -> FavRequest:
    name = " ".join(name.split())
    if not name:
        raise ParseError(
            "give the name to save, e.g. /fav Eldrin, or /fav Eldrin #book2 — a wandering bard"
        )
    return FavRequest(name, tuple(tags), " ".join(note.split()))


def tag_words(text: str | None) -> tuple[str, ...]:
    """Tags typed in one field (a slash command's): words apart by spaces or commas."""
    return tuple((text or "").replace(",", " ").split())


def note_request(name: str, note: str | None) -> NoteRequest:
    words = tuple(name.split())
    if not words:
        raise ParseError("say which favourite, e.g. /note Eldrin — a wandering bard, or /note 2 …")
    return NoteRequest(words, " ".join((note or "").split()))


def tag_request(name: str, add: str | None, remove: str | None) -> TagRequest:
    words, adding, removing = tuple(name.split()), tag_words(add), tag_words(remove)
    if not words or not (adding or removing):
        raise ParseError("give the favourite and the tags to add or take off, e.g. Eldrin #book2")
    return TagRequest(words, adding, removing)


def favs_request(page: int | None, tag: str | None = None) -> FavsRequest:
    if page is None or page < 1:
        raise ParseError("the page must be a whole number, e.g. /favs 2 or /favs #book2 2")
    return FavsRequest(page, tag)


def export_request(fmt: str | None) -> ExportRequest:
    if fmt is None or not fmt.strip():
        return ExportRequest()
    folded = fmt.strip().casefold().lstrip(".")
    folded = {"markdown": "md", "text": "txt"}.get(folded, folded)
    if folded not in EXPORT_FORMATS:
        raise ParseError(
            f"/export makes csv, md (Markdown) or txt, not {shown(fmt)}, e.g. /export md"
        )
    return ExportRequest(folded)


def unfav_request(name: str) -> UnfavRequest:
    name = " ".join(name.split())
    if not name:
        raise ParseError("give the name to forget, e.g. /unfav Eldrin (or /unfav all)")
    return UnfavRequest(name, position=whole_number(name) or None, everything=name == "all")


def help_request(topic: str | None) -> HelpRequest:
    if topic is None or not topic.strip():
        return HelpRequest()
    folded = topic.strip().lstrip("/").casefold()
    if folded not in texts.HELP:
        known = " ".join(f"/{c}" for c, _ in texts.menu(admin=False))
        raise ParseError(f"no command /{shown(folded)[1:-1]}; the commands are: {known}")
    return HelpRequest(folded)


def settings_request(
    fields: Mapping[str, object], styles: Collection[str], *, chat: bool = False
) -> SettingsRequest:
    return SettingsRequest(name_options(fields, styles), chat=chat)


def name_request(fields: Mapping[str, object], styles: Collection[str]) -> NameRequest:
    return NameRequest(name_options(fields, styles))


def rollback_request(style: str) -> RollbackRequest:
    words = style.split()
    return RollbackRequest(words[0].casefold() if len(words) == 1 else "")


def _number(word: str) -> float | None:
    return float(word.replace(",", ".")) if _NUMBER.fullmatch(word) else None


def _temperature(value: str | float) -> float:
    t = _number(value) if isinstance(value, str) else float(value)
    if t is None or not TEMPERATURE_MIN <= t <= TEMPERATURE_MAX:  # NaN fails both
        raise ParseError(TEMP_HELP)
    return t


def _count(value: str | int) -> int:
    n = whole_number(value) if isinstance(value, str) else value
    if n is None or not 1 <= n <= MAX_COUNT:
        raise ParseError(COUNT_HELP)
    return n


def _length(value: str) -> tuple[int, int]:
    m = re.fullmatch(r"([0-9]{1,3})(?:-([0-9]{1,3}))?", value, re.ASCII)
    if not m:
        raise ParseError("len takes a length or a range, e.g. len=6 or len=4-8")
    lo = int(m[1])
    hi = int(m[2]) if m[2] else lo
    if not 1 <= lo <= hi:
        raise ParseError(f"len={value}: the shortest must be at least 1 and at most the longest")
    return lo, hi


def _gender(value: str) -> str:
    word = value.casefold()
    if word == ANY_GENDER:
        return ANY_GENDER
    if word in NEUTRAL_WORDS:
        return NEUTRAL
    try:
        return GENDER_WORDS[word]
    except KeyError:
        raise ParseError(
            f"gender must be female, male, neutral or any (f, m or n), not {shown(value)}"
        ) from None


def _like(value: str) -> str:
    if value.casefold() == LIKE_FAVOURITES:
        return LIKE_FAVOURITES
    if not value or len(value) > MAX_LIKE_LEN:
        raise ParseError(
            f"like= takes one name of 1 to {MAX_LIKE_LEN} letters, e.g. like=Legolas, "
            "or like=favs for names like your favourites"
        )
    return value


def _blend(value: str, styles: Collection[str]) -> str:
    """A blend as its canonical key ("elf:50+dwarf:50") or its alias ("half-elf")."""
    try:
        blend = parse_blend(value)
    except RequestError as exc:
        raise ParseError(str(exc)) from None
    for style in blend.styles:
        if style not in styles:
            close = _closest_style(style, styles)
            hint = f"; did you mean {close}?" if close else ""
            within = f" (in {shown(value)})" if blend.alias else ""
            raise ParseError(
                f"unknown style {shown(style)} in the blend{within}{hint} "
                f"Choose from: {', '.join(sorted(styles))}"
            )
    return blend.alias or blend.key


def _style(value: str, styles: Collection[str]) -> str:
    style = value.casefold()
    if style not in styles and is_blend(style):
        return _blend(style, styles)
    if style not in styles:
        close = _closest_style(style, styles)
        hint = f"; did you mean {close}?" if close else "."
        raise ParseError(f"unknown style {shown(value)}{hint} {_choose(styles)}")
    return style


def _choose(styles: Collection[str]) -> str:
    """The styles to choose from: all of a few, else where to see them all."""
    if len(styles) <= UnknownStyle.LISTED:
        return f"Choose one of: {', '.join(sorted(styles))}"
    return f"/styles lists all {len(styles)}."


def _closest_style(word: str, styles: Collection[str]) -> str | None:
    alias = STYLE_ALIASES.get(word)
    if alias in styles and alias != word:
        return alias
    close = difflib.get_close_matches(word, sorted(styles), n=1, cutoff=0.75)
    return close[0] if close else None


def _text_option(key: str, value: str) -> str:
    if len(value) > MAX_AFFIX_LEN:
        raise ParseError(f"{key}= takes at most {MAX_AFFIX_LEN} letters; {shown(value)} is longer")
    return value


def _set(opts: NameOptions, what: str, new: object, old: object, empty: object) -> None:
    """Refuse saying one option twice with different values."""
    if old != empty and old != new:
        plural = {"prefix": "prefixes", "country": "countries"}.get(what, f"{what}s")
        raise ParseError(
            f"two {plural}: {shown(str(old))} and {shown(str(new))} — give one, "
            "e.g. /name Eld elf female"
        )


def _option(opts: NameOptions, key: str, value: str, styles: Collection[str]) -> NameOptions:
    key = key.casefold()
    if not value:
        raise ParseError(
            f"{shown(key)[1:-1]}= needs a value, e.g. {key}=" + _EXAMPLES.get(key, "…")
        )
    if key in ("temp", "temperature", "t"):
        return replace(opts, temperature=_temperature(value))
    if key in ("count", "n"):
        return replace(opts, count=_count(value))
    if key == "style":
        style = _style(value, styles)
        _set(opts, "style", style, opts.style, None)
        return replace(opts, style=style)
    if key in ("gender", "g"):
        gender = _gender(value)
        _set(opts, "gender", gender, opts.gender, None)
        return replace(opts, gender=gender)
    if key == "like":
        return replace(opts, like=_like(value))
    if key in ("country", "region"):
        # A label that is not a gender (a town's country): the style's model checks it.
        country = value.casefold()
        if not re.fullmatch(r"[a-z][a-z -]{0,31}", country):
            raise ParseError(f"{key}= takes a country's name, e.g. {key}=polish")
        _set(opts, "gender", country, opts.gender, None)
        return replace(opts, gender=country)
    if key == "table":
        return replace(opts, table=_yes_no(value, "table"))
    if key in ("len", "length"):
        lo, hi = _length(value)
        return replace(opts, min_len=lo, max_len=hi)
    if key in ("ends", "end"):
        return replace(opts, ends_with=_text_option("ends", value))
    if key == "contains":
        return replace(opts, contains=_text_option("contains", value))
    if key in ("prefix", "start"):
        prefix = _text_option("prefix", value)
        _set(opts, "prefix", prefix, opts.prefix, "")
        return replace(opts, prefix=prefix)
    if key == "new":
        return replace(opts, new_only=_yes_no(value, "new"))
    if key == "full":
        return replace(opts, full=_yes_no(value, "full"))
    if key == "filter":
        return replace(opts, word_filter=_yes_no(value, "filter"))
    raise ParseError(
        f"unknown option {shown(key)[1:-1]}=; options are style= gender= len= ends= contains= "
        "count= temp= prefix= like= country= and the words new, full and table"
    )


def _yes_no(value: str, key: str) -> bool:
    word = value.casefold()
    if word in ("yes", "on", "true", "1", "y"):
        return True
    if word in ("no", "off", "false", "0", "n"):
        return False
    raise ParseError(f"{key}= takes yes or no, e.g. /settings {key}=yes")


_EXAMPLES = {
    "style": "elf", "gender": "f", "len": "4-8", "ends": "iel", "contains": "ar",
    "like": "Legolas",
}  # fmt: skip


def parse_name_options(
    words: list[str], styles: Collection[str]
) -> tuple[NameOptions, tuple[str, ...]]:
    """The options of /name, and hints worth showing beside the names."""
    opts = NameOptions()
    hints: list[str] = []
    numbers: list[str] = []
    for word in words:
        key, eq, value = word.partition("=")
        folded = word.casefold()
        if eq and key.casefold() == "filter":
            raise ParseError(
                "the word filter is a setting: /settings filter=off for yourself, or a group "
                "admin's /settings chat filter=off for the group"
            )
        if eq:
            opts = _option(opts, key, value, styles)
        elif folded == "new":
            opts = replace(opts, new_only=True)
        elif folded == "full":
            opts = replace(opts, full=True)
        elif folded == "table":  # a numbered d20 table, 20 names unless a count is given
            opts = replace(opts, table=True)
        elif folded in GENDER_WORDS:
            _set(opts, "gender", GENDER_WORDS[folded], opts.gender, None)
            opts = replace(opts, gender=GENDER_WORDS[folded])
        elif folded in styles or is_blend(folded):
            style = _style(folded, styles)
            pair = {style, opts.style}
            others = pair - set(PLACE_STYLES)
            if opts.style not in (None, style) and len(others) == 1 and others <= TOWN_COUNTRIES:
                # "/name towns german": a country of the towns that is also a style's name
                (place,) = pair & set(PLACE_STYLES)
                (country,) = pair - {place}
                _set(opts, "country", country, opts.gender, None)
                opts = replace(opts, style=place, gender=country)
                continue
            _set(opts, "style", style, opts.style, None)
            opts = replace(opts, style=style)
        elif _number(word) is not None:
            numbers.append(word)
        elif _looks_numeric(word):
            raise ParseError(
                f"{shown(word)} is not a number I can read: write numbers with the digits 0–9, "
                "e.g. /name Eld 0.7 5"
            )
        elif not opts.prefix:
            opts = replace(opts, prefix=_text_option("prefix", word))
            close = _closest_style(folded, styles)
            if close and folded.isalpha():
                hints.append(
                    f"{folded} is not a style, so names start with {word[:1].upper()}"
                    f"{word[1:]}; for a style, try /name {close}"
                )
        elif opts.temperature is None and not numbers and _word_like(word):
            raise ParseError(
                f"two prefixes: {shown(opts.prefix)} and {shown(word)} — give one prefix "
                "(a temperature is a number, e.g. /name Eld 0.7)"
            )
        else:
            raise ParseError(
                f"I don't understand {shown(word)}: give one prefix, then a temperature and a "
                "count, e.g. /name Eld 0.7 5"
            )
    # Numbers by their form, wherever they stand: a decimal point marks the temperature.
    counts = [w for w in numbers if _WHOLE.fullmatch(w.lstrip("+-"))]
    temperatures = [w for w in numbers if w not in counts]
    if len(temperatures) > 1:
        raise ParseError(
            f"two temperatures: {shown(temperatures[0])} and {shown(temperatures[1])} — a number "
            "with a decimal point is the temperature; give one, e.g. /name Eld 0.7 5"
        )
    if len(counts) > 1:
        raise ParseError(
            f"two counts: {shown(counts[0])} and {shown(counts[1])} — a whole number is the "
            "count; write a temperature with a decimal point, e.g. /name Eld 1.0 5"
        )
    if temperatures:
        opts = replace(opts, temperature=_temperature(temperatures[0]))
    if counts:
        opts = replace(opts, count=_count(counts[0]))
    return opts, tuple(hints)


def _looks_numeric(word: str) -> bool:
    """Digits of another script, or a long run of digits: a number we refuse, not a prefix."""
    return any(c.isdigit() for c in word) and all(c.isdigit() or c in "+-.,_" for c in word)


def _word_like(word: str) -> bool:
    return word[:1].isalpha()


def parse_settings(words: list[str], styles: Collection[str]) -> NameOptions:
    """/settings key=value ...: style, temperature, count, gender and new are defaults."""
    opts = NameOptions()
    for word in words:
        key, eq, value = word.partition("=")
        if not eq or key.casefold() not in (
            "style", "temperature", "temp", "t", "count", "n", "gender", "g", "new", "filter"
        ):  # fmt: skip
            raise ParseError(
                "settings are style, temperature, count, gender, new and (for a group) filter, "
                "e.g. /settings temperature=0.8 style=dwarf count=5 gender=f new=yes"
            )
        opts = _option(opts, key, value, styles)
    return opts


def name_options(fields: Mapping[str, object], styles: Collection[str]) -> NameOptions:
    """Typed options (a slash command's) validated by the same code as the words of /name.

    Keys: prefix, temperature, count, style, gender, ends, contains, length (strings, numbers
    and a bool `new`); None or a missing key means "not given"."""
    opts = NameOptions()
    for key, value in fields.items():
        if value is None or value == "":
            continue
        if key == "temperature" and isinstance(value, int | float):
            opts = replace(opts, temperature=_temperature(float(value)))
        elif key == "count" and isinstance(value, int):
            opts = replace(opts, count=_count(value))
        elif key == "new" and isinstance(value, bool):
            opts = replace(opts, new_only=value)
        elif key == "full" and isinstance(value, bool):
            opts = replace(opts, full=value)
        elif key == "table" and isinstance(value, bool):
            opts = replace(opts, table=value)
        elif key in (
            "prefix", "style", "gender", "ends", "contains", "length", "like", "country"
        ) and isinstance(value, str):  # fmt: skip
            opts = _option(opts, key, value.strip(), styles)
        else:
            raise ParseError(f"option {key} does not take {shown(str(value))}")
    return opts


RETRAIN_USAGE = (
    "/retrain <style> with a .txt file of names (one per line, optionally name<TAB>label), "
    "or /retrain <style> corpus=<built-in>; options seconds=N, force and new; "
    "/retrain status, /retrain cancel, /retrain remove <style>"
)


def parse_retrain(words: list[str]) -> RetrainRequest:
    if not words:
        raise ParseError("usage: " + RETRAIN_USAGE)
    first = words[0].casefold()
    if first in RETRAIN_ACTIONS:
        if len(words) > 1:
            raise ParseError(f"/retrain {first} takes nothing more")
        return RetrainRequest(action=first)
    if first == "remove":
        if len(words) != 2:
            raise ParseError("say which added style to remove, e.g. /retrain remove gnome")
        return RetrainRequest(action="remove", style=_retrain_style(words[1]))
    request = RetrainRequest(style=_retrain_style(words[0]))
    for word in words[1:]:
        key, eq, value = word.partition("=")
        if not eq and word.casefold() == "force":
            request = replace(request, force=True)
        elif not eq and word.casefold() == "new":
            request = replace(request, new=True)
        elif eq and key.casefold() == "corpus" and value:
            request = replace(request, corpus=value.casefold())
        elif eq and key.casefold() in ("seconds", "s"):
            n = whole_number(value)
            if n is None:
                raise ParseError("seconds= takes a whole number of seconds, e.g. seconds=120")
            request = replace(request, seconds=n)
        else:
            raise ParseError(f"I don't understand {shown(word)}; usage: " + RETRAIN_USAGE)
    return request


def _retrain_style(word: str) -> str:
    style = word.strip().casefold()
    if not STYLE_NAME.fullmatch(style):
        raise ParseError(
            f"{shown(word)} cannot be a style name: use a-z, digits, - and _, starting with "
            "a letter, at most 32 characters, e.g. /retrain elf"
        )
    return style


def retrain_request(
    action: str,
    style: str | None,
    *,
    corpus: str | None = None,
    seconds: int | None = None,
    force: bool = False,
) -> RetrainRequest:
    """/retrain from typed options (a slash command's), checked as the words are."""
    if action in RETRAIN_ACTIONS:
        if style or corpus or seconds is not None or force:
            raise ParseError(f"/retrain {action} takes nothing more")
        return RetrainRequest(action=action)
    if action == "remove":
        if not style or not style.strip():
            raise ParseError(
                "say which added style to remove, e.g. /retrain action:remove style:gnome"
            )
        return RetrainRequest(action="remove", style=_retrain_style(style))
    if style is None or not style.strip():
        raise ParseError(
            "give the style to train, e.g. /retrain style:elf file:names.txt, or "
            "/retrain style:elf corpus:elf; /retrain action:status shows a training"
        )
    return RetrainRequest(
        style=_retrain_style(style),
        corpus=corpus.strip().casefold() if corpus and corpus.strip() else None,
        seconds=seconds,
        force=force,
    )
