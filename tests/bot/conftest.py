"""A real service (tiny model, real SQLite file) and the real PTB client on a fake server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from telegram.ext import Application

import storage
from bot.adapters.telegram.run import build, receive
from bot.app import close_service
from bot.config import Config
from bot.ratelimit import RateLimiter
from bot.service import Service
from bot.service.retrain import Retraining
from engine.retraining.supervisor import Retrainer
from engine.serving.generator import NameEngine
from engine.serving.modelstore import ModelStore
from engine.serving.shared import SharedModel
from engine.serving.trained import NameModel
from tests.conftest import TINY, TINY_TRAIN
from tests.fakes.telegram import TOKEN, FakeTelegram

ADMIN = "tg:999"


@pytest.fixture
async def service_factory(
    tiny_model: NameModel, tmp_path: Path
) -> AsyncIterator[Callable[..., Awaitable[Service]]]:
    """Builds services on one database file (a second one is a restart)."""
    made: list[Service] = []

    async def make(
        limit: int = 100, train_steps: int = 60, models: dict[str, NameModel] | None = None
    ) -> Service:
        engine = NameEngine(models or {"english": tiny_model, "elf": tiny_model})
        store = await storage.open(tmp_path / "namesmith.sqlite3")
        # Retraining with a tiny network and a step budget: a job takes seconds.
        retrainer = Retrainer(
            ModelStore(tmp_path / "models"),
            engine.registry,
            max_seconds=600,
            model_config=TINY,
            train_config=replace(TINY_TRAIN, max_steps=train_steps, eval_every=20),
        )
        retraining = Retraining(retrainer, store, default_seconds=60)
        # A long period: the bucket cannot refill while a slow CI machine runs a test.
        svc = Service(
            engine,
            store,
            RateLimiter(limit, 600.0),
            admins=frozenset({ADMIN}),
            retraining=retraining,
        )
        made.append(svc)
        return svc

    yield make
    for svc in made:
        await close_service(svc)


@pytest.fixture
async def service(service_factory: Callable[..., Awaitable[Service]]) -> Service:
    return await service_factory()


@pytest.fixture
async def shared_service(
    service_factory: Callable[..., Awaitable[Service]], tiny_shared: SharedModel
) -> Service:
    """A service on a shared model (tests/conftest.py): blends and neutral names work."""
    return await service_factory(models=tiny_shared.models())


class Reports:
    """Every state an adapter's readiness hook reported (`Metrics.connected`), in order, and a
    wait for the one a test expects."""

    def __init__(self, service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
        self.seen: list[bool] = []
        self._changed = asyncio.Event()
        report = service.metrics.connected

        def connected(platform: str, up: bool = True) -> None:
            self.seen.append(up)
            self._changed.set()
            report(platform, up)

        monkeypatch.setattr(service.metrics, "connected", connected)

    def down_then_up(self) -> bool:
        """Whether a report of "not connected" was followed by one of "connected"."""
        return False in self.seen and True in self.seen[self.seen.index(False) :]

    async def until(self, condition: Callable[[], bool]) -> None:
        async with asyncio.timeout(20):
            while not condition():
                self._changed.clear()
                await self._changed.wait()


@pytest.fixture
def reports(service: Service, monkeypatch: pytest.MonkeyPatch) -> Reports:
    return Reports(service, monkeypatch)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    yield server
    await server.stop()


def config_for(fake: FakeTelegram, **overrides: Any) -> Config:
    return Config(
        telegram_token=SecretStr(TOKEN),
        telegram_api_url=fake.base_url,
        telegram_file_url=fake.base_file_url,
        _env_file=None,  # type: ignore[call-arg]
        **overrides,
    )


@asynccontextmanager
async def running(
    service: Service, fake: FakeTelegram, **overrides: Any
) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """Start the real Application polling the fake server, the way `namesmith run` does."""
    config = config_for(fake, **overrides)
    app = build(service, config)
    async with app:
        await app.start()
        assert app.updater is not None
        await receive(app, config)  # polling, as `namesmith run` starts it
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()
