"""A real PostgreSQL stopped under a running service, then started again: names never need it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

import storage
from bot.ratelimit import RateLimiter
from bot.service import Service
from engine.serving.generator import NameEngine
from engine.serving.trained import NameModel
from tests.bot.builders import ctx
from tests.storage.pgserver import PASSWORD, USER, TempPostgres, find_bindir


@pytest.fixture
async def postgres() -> AsyncIterator[TempPostgres]:
    bindir = find_bindir()
    if bindir is None:
        if os.environ.get("NAMESMITH_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL required: no pg_ctl found")
        pytest.skip("no PostgreSQL binaries")
    server = TempPostgres(bindir)
    with server:
        yield server


async def test_names_come_while_postgresql_is_down_and_saving_comes_back(
    postgres: TempPostgres, tiny_model: NameModel
) -> None:
    store = await storage.open(
        f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{postgres.port}/postgres", pool_size=2
    )
    engine = NameEngine({"english": tiny_model})
    service = Service(engine, store, RateLimiter(100, 600.0))
    try:
        assert (await service.on_text(ctx(), "/fav Anna")) is not None
        postgres.stop()
        names = await service.on_text(ctx(), "/name Eld 3")
        assert names is not None and names.names is not None and len(names.names.names) == 3
        assert names.buttons_off  # nothing could be stored for them, and the reply says so
        postgres.start()
        saved = None
        for _ in range(20):  # the pool reconnects on its own
            saved = await service.on_text(ctx(), "/fav Bea")
            if saved is not None and saved.text.startswith("⭐ Saved Bea"):
                break
        assert saved is not None and saved.text.startswith("⭐ Saved Bea")
    finally:
        await engine.aclose()
        await store.close()
