"""Checks on the plain values the repositories take, with messages a user can act on."""

from __future__ import annotations

import math
import unicodedata

from storage.errors import InvalidValue

MAX_KEY_LEN = 128
MAX_NAME_LEN = 64
MAX_TEXT_LEN = 2000


def text(value: str, what: str, limit: int) -> str:
    """Text stored exactly as given, unless it is empty, too long or holds control characters."""
    if not isinstance(value, str) or not value:
        raise InvalidValue(f"{what} must not be empty")
    if len(value) > limit:
        raise InvalidValue(f"{what} is {len(value):,} characters long; the limit is {limit}")
    if any(unicodedata.category(c) == "Cc" for c in value):
        raise InvalidValue(f"{what} must not contain control characters")
    return value


def key(value: str, what: str = "key") -> str:
    return text(value, what, MAX_KEY_LEN)


def name(value: str) -> str:
    return text(value, "a name", MAX_NAME_LEN)


def temperature(value: float | None) -> float | None:
    if value is not None and not (isinstance(value, int | float) and math.isfinite(value)):
        raise InvalidValue("temperature must be a finite number")
    return None if value is None else float(value)
