"""What a user can ask for, as typed values: one request class per command.

The grammar builds these from a line of text (`/name Eld 0.7`); an adapter builds them from a
platform's typed options (Discord's slash commands) through the grammar's builders, so both are
validated by the same code. The service takes them as they are and never parses again.

Pure: no torch, no database, no SDK.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

# The engine's bounds of a request, for adapters that declare them as option ranges.
from engine.limits import MAX_AFFIX_LEN, TEMPERATURE_MAX, TEMPERATURE_MIN

__all__ = ["MAX_AFFIX_LEN", "MAX_COUNT", "TEMPERATURE_MAX", "TEMPERATURE_MIN"]

MAX_COUNT = 20  # names in one chat reply (the engine allows far more in one request)


@dataclass(frozen=True, slots=True)
class NameOptions:
    """What /name (and /settings) can set; None = use the user's default."""

    prefix: str = ""
    temperature: float | None = None
    count: int | None = None
    style: str | None = None
    gender: str | None = None  # "female", "male", ANY_GENDER, or None for the default
    min_len: int | None = None
    max_len: int | None = None
    ends_with: str = ""
    contains: str = ""
    new_only: bool | None = None
    full: bool | None = None  # given name + family name
    word_filter: bool | None = None  # a /settings value: False relaxes the filter
    like: str = ""  # a name to resemble, or "favs" for the user's favourites
    table: bool = False  # a numbered table a GM can paste (20 names unless a count is given)


@dataclass(frozen=True, slots=True)
class NameRequest:
    """/name: invent names."""

    command: ClassVar[str] = "name"
    options: NameOptions = field(default_factory=NameOptions)
    hints: tuple[str, ...] = ()  # gentle notes worth showing with the answer


MAX_PARTY = 8
ANY_RACE = ""  # a party member whose race is drawn at random


@dataclass(frozen=True, slots=True)
class PartyRequest:
    """/party: one full name per member, each line naming its race (and gender)."""

    command: ClassVar[str] = "party"
    members: tuple[str, ...]  # styles or blends; ANY_RACE for a random one
    gender: str | None = None  # for every member; None draws each one's


@dataclass(frozen=True, slots=True)
class NpcRequest:
    """/npc: one full name with its race and gender."""

    command: ClassVar[str] = "npc"
    race: str = ANY_RACE
    gender: str | None = None


STYLE_GROUPS = ("fantasy", "cultures", "family names", "places")  # how /styles lists them


@dataclass(frozen=True, slots=True)
class StylesRequest:
    """/styles [group|style]: the styles in groups with sample names; one group with each
    style's description; or one style in full."""

    command: ClassVar[str] = "styles"
    topic: str | None = None  # a group (STYLE_GROUPS) or a style; None for the overview


@dataclass(frozen=True, slots=True)
class RateRequest:
    """/rate: how name-like a name (up to four words, rated one by one) is."""

    command: ClassVar[str] = "rate"
    words: tuple[str, ...]
    style: str | None = None
    gender: str | None = None


@dataclass(frozen=True, slots=True)
class FavRequest:
    """/fav <name> [#tag …] [— note]: save a typed name, with tags and a note."""

    command: ClassVar[str] = "fav"
    name: str
    tags: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class FavsRequest:
    """/favs [#tag] [page]: one page of favourites, all or those with a tag."""

    command: ClassVar[str] = "favs"
    page: int = 1
    tag: str | None = None


@dataclass(frozen=True, slots=True)
class NoteRequest:
    """/note <name|number> [— text]: write (or, with no text, clear) a favourite's note.

    Without a separator the service finds where the name ends: the longest run of leading words
    that names a favourite (or a /favs number); the words after it are the note."""

    command: ClassVar[str] = "note"
    words: tuple[str, ...]  # the favourite, or the favourite and the note
    note: str | None = None  # the note, when a separator ("—", "-", ":") said where it starts


@dataclass(frozen=True, slots=True)
class TagRequest:
    """/tag <name|number> #tag … -#tag …: add tags to a favourite, or take them off."""

    command: ClassVar[str] = "tag"
    words: tuple[str, ...]  # the favourite: a name or a /favs number
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()


EXPORT_FORMATS = ("csv", "md", "txt")


@dataclass(frozen=True, slots=True)
class UnfavRequest:
    """/unfav: forget a favourite by name or by its number in /favs, or all of them."""

    command: ClassVar[str] = "unfav"
    name: str
    position: int | None = None  # the name read as a /favs number (a favourite so named wins)
    everything: bool = False  # "/unfav all": asks first


@dataclass(frozen=True, slots=True)
class ExportRequest:
    """/export [csv|md|txt]: favourites as a file."""

    command: ClassVar[str] = "export"
    format: str = "csv"  # one of EXPORT_FORMATS


@dataclass(frozen=True, slots=True)
class SettingsRequest:
    """/settings: show or set your defaults, or (`chat`) a group's."""

    command: ClassVar[str] = "settings"
    options: NameOptions = field(default_factory=NameOptions)
    chat: bool = False


@dataclass(frozen=True, slots=True)
class ResetRequest:
    """/reset: forget your defaults."""

    command: ClassVar[str] = "reset"


@dataclass(frozen=True, slots=True)
class HelpRequest:
    """/help: all commands, or one (already checked to exist) in detail."""

    command: ClassVar[str] = "help"
    topic: str | None = None


@dataclass(frozen=True, slots=True)
class StartRequest:
    """/start: say hello."""

    command: ClassVar[str] = "start"


@dataclass(frozen=True, slots=True)
class StatsRequest:
    """/stats: usage figures (admins)."""

    command: ClassVar[str] = "stats"


@dataclass(frozen=True, slots=True)
class RetrainRequest:
    """/retrain <style> [corpus=<built-in>] [seconds=N] [force] [new], /retrain status|cancel,
    /retrain remove <style>."""

    command: ClassVar[str] = "retrain"
    action: str = "start"  # "start", "status", "cancel" or "remove" (an added style)
    style: str = ""
    corpus: str | None = None  # a built-in corpus; None = the file sent with the command
    seconds: int | None = None  # None = the configured default
    force: bool = False
    new: bool = False  # a new style is meant, even one named like an existing style


@dataclass(frozen=True, slots=True)
class RollbackRequest:
    """/rollback <style>: serve the style's previous model (admins)."""

    command: ClassVar[str] = "rollback"
    style: str = ""  # "" = not given: the admin is told how to use it


@dataclass(frozen=True, slots=True)
class AuditRequest:
    """/audit: recent admin actions (admins)."""

    command: ClassVar[str] = "audit"


Request = (
    NameRequest | PartyRequest | NpcRequest | StylesRequest | RateRequest | FavRequest
    | FavsRequest | NoteRequest | TagRequest | UnfavRequest | ExportRequest | SettingsRequest
    | ResetRequest | HelpRequest | StartRequest | StatsRequest | RetrainRequest | RollbackRequest
    | AuditRequest
)  # fmt: skip
