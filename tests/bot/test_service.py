"""The service without a platform: the two tiers of errors."""

from __future__ import annotations

import pytest

from bot import texts
from bot.reply import Context
from bot.service import Service
from storage import DatabaseUnavailable


async def test_a_database_outage_is_an_apology_not_its_address(
    service: Service, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def gone(*args: object, **kwargs: object) -> int:
        raise DatabaseUnavailable("cannot reach the database at postgresql://bot:***@db:5432/ns")

    monkeypatch.setattr(service.store.favourites, "count", gone)
    reply = await service.on_text(Context(user="tg:1", platform="telegram"), "/unfav all")
    assert reply is not None
    assert reply.text == texts.SORRY
    assert any("cannot reach the database" in r.getMessage() for r in caplog.records)


def test_common_styles_are_offered_first() -> None:
    from bot.service.names import offered

    assert offered(["zulu", "towns", "elf", "alpha", "english"]) == [
        "english", "elf", "towns", "alpha", "zulu",
    ]  # fmt: skip


def test_telegram_shows_the_first_six_styles_offered() -> None:
    from bot.actions import Act
    from bot.adapters.telegram import keyboard
    from bot.reply import Action

    actions = (
        Action(Act.SAVE, "Ann", "fav:t:0"),
        Action(Act.MORE, "more like this", "more:t"),
        *(Action(Act.STYLE, f"s{i}", f"style:t:s{i}") for i in range(10)),
    )
    markup = keyboard(actions)
    assert markup is not None
    rows = [[b.text for b in row] for row in markup.inline_keyboard]
    assert rows == [["⭐ Ann"], ["🔄 more like this"], ["🎲 s0", "🎲 s1", "🎲 s2"],
                    ["🎲 s3", "🎲 s4", "🎲 s5"]]  # fmt: skip
