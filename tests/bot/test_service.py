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
