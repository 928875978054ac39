"""Checks on the plain values the repositories take, with messages a user can act on."""

from __future__ import annotations

import math
import unicodedata

from storage.errors import InvalidValue

MAX_KEY_LEN = 128
MAX_NAME_LEN = 64
MAX_TEXT_LEN = 2000
MAX_TAG_LEN = 32
MAX_NOTE_LEN = 500

# Characters a name must not hold: controls (Cc), invisible format characters (Cf: bidi
# overrides, zero-width spaces and joiners, soft hyphens, tags), line and paragraph separators.
_INVISIBLE = {"Cf", "Zl", "Zp"}


def describe(char: str) -> str:
    """A character made visible: "U+200B ZERO WIDTH SPACE", "U+0000 (a control character)"."""
    name = unicodedata.name(char, None)
    code = f"U+{ord(char):04X}"
    if name:
        return f"{code} {name}"
    return f"{code} (a control character)" if unicodedata.category(char) == "Cc" else code


def text(value: str, what: str, limit: int) -> str:
    """Text stored exactly as given, unless it is empty, too long or holds control characters."""
    if not isinstance(value, str) or not value:
        raise InvalidValue(f"{what} must not be empty")
    if len(value) > limit:
        raise InvalidValue(f"{what} is {len(value):,} characters long; the limit is {limit}")
    if bad := next((c for c in value if unicodedata.category(c) == "Cc"), None):
        raise InvalidValue(f"{what} must not contain control characters (found {describe(bad)})")
    if any(unicodedata.category(c) == "Cs" for c in value):
        raise InvalidValue(f"{what} must not contain broken characters (lone surrogates)")
    return value


def key(value: str, what: str = "key") -> str:
    return text(value, what, MAX_KEY_LEN)


def name(value: str) -> str:
    """A name to save: NFC-normalised, and free of invisible characters."""
    value = text(unicodedata.normalize("NFC", value) if isinstance(value, str) else value,
                 "a name", MAX_NAME_LEN)  # fmt: skip
    return _visible(value, "a name")


def _visible(value: str, what: str) -> str:
    if bad := next((c for c in value if unicodedata.category(c) in _INVISIBLE), None):
        raise InvalidValue(
            f"{what} must not contain invisible characters (found {describe(bad)}); "
            "type it again without it"
        )
    return value


def tag(value: str) -> str:
    """A tag as it is kept: without its '#', NFC, case-folded; one word of letters, digits,
    '_' or '-' (so `/favs #Book2` finds what `#book2` saved)."""
    word = unicodedata.normalize("NFC", value.removeprefix("#")).casefold()
    if not word:
        raise InvalidValue("a tag needs a word after #, e.g. #book2")
    if len(word) > MAX_TAG_LEN:
        raise InvalidValue(f"a tag is at most {MAX_TAG_LEN} characters; #{word[:40]} is longer")
    if not all(c.isalnum() or c in "_-" for c in word):
        bad = next(c for c in word if not (c.isalnum() or c in "_-"))
        shown = "a space" if bad.isspace() else describe(bad)
        raise InvalidValue(
            f"a tag is one word of letters, digits, _ and - (#{word[:40]} has {shown}), "
            "e.g. #book2 or #villain"
        )
    return word


def note(value: str) -> str:
    """A note on a favourite: free text up to MAX_NOTE_LEN characters, no invisible ones."""
    value = unicodedata.normalize("NFC", value).strip()
    if not value:
        return ""
    return _visible(text(value, "a note", MAX_NOTE_LEN), "a note")


def name_key(value: str) -> str:
    """What makes two names the same favourite: equal after NFC and case folding
    ("Nina" = "nina", "Zoë" composed = "Zoë" decomposed)."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", value).casefold())


def temperature(value: float | None) -> float | None:
    if value is not None and not (isinstance(value, int | float) and math.isfinite(value)):
        raise InvalidValue("temperature must be a finite number")
    return None if value is None else float(value)


def flag(value: bool | None, what: str) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise InvalidValue(f"{what} must be yes or no")
    return value
