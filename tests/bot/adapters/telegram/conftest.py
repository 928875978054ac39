"""Helpers that read what the Telegram adapter sent to the fake Bot API. The fake itself, the
service and `running` are in tests/bot/conftest.py (the retrain tests there use them too)."""

from __future__ import annotations

import json
from typing import Any


def sent_texts(calls: list[Any]) -> list[str]:
    """The text of each message sent."""
    return [str(c.params["text"]) for c in calls]


def buttons_of(call: Any) -> dict[str, str]:
    """label → callback data of every inline button under a message."""
    markup = call.params.get("reply_markup") or {"inline_keyboard": []}
    if isinstance(markup, str):
        markup = json.loads(markup)
    return {b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row}
