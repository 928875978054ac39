"""The Discord adapter's tests run the real discord.py client (AutoShardedBot, app-command tree,
dynamic items) against a fake Discord gateway + REST server on 127.0.0.1: the fixtures for that,
and helpers that read what the bot sent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import discord
import pytest
import yarl
from pydantic import SecretStr

from bot import texts
from bot.adapters.discord.run import run
from bot.config import Config
from bot.service import Service
from tests.fakes.discord import TOKEN, FakeDiscord, Sent

CALLBACK_MESSAGE, CALLBACK_DEFERRED, CALLBACK_UPDATE, CALLBACK_CHOICES = 4, 5, 7, 8


@pytest.fixture(autouse=True)
def _nowhere_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """discord.py's REST base and gateway are class attributes `configure_sdk` sets; each test
    starts from a dead local address (never Discord's) and they are restored after it."""
    monkeypatch.setattr(discord.http.Route, "BASE", "http://127.0.0.1:9/api/v10")
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL("ws://127.0.0.1:9/")
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    yield server
    await server.stop()


def config_for(fake: FakeDiscord, **overrides: Any) -> Config:
    return Config(
        discord_token=SecretStr(TOKEN),
        discord_api_url=fake.api_url,
        _env_file=None,  # type: ignore[call-arg]
        **overrides,
    )


@asynccontextmanager
async def running(
    service: Service, fake: FakeDiscord, **overrides: Any
) -> AsyncIterator[asyncio.Task[None]]:
    """`run` as `namesmith run` calls it, until the block ends (then a clean stop)."""
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(
        run(service, config_for(fake, **overrides), stop, ready=ready, guild_ready_timeout=0.05)
    )
    waiter = asyncio.create_task(ready.wait())
    await asyncio.wait({task, waiter}, timeout=20, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    if task.done():
        task.result()  # raises what stopped it
    assert ready.is_set(), "the bot did not connect"
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


def buttons(sent: Sent) -> dict[str, str]:
    """label → custom id of every button."""
    return {c["label"]: c["custom_id"] for c in sent.components if c["type"] == 2}


def menus(sent: Sent) -> list[dict[str, Any]]:
    return [c for c in sent.components if c["type"] == 3]


def names(sent: Sent) -> list[str]:
    """The names of an embed, without the mark of a real one."""
    lines = str(sent.embed.get("description", "")).split("\n\n")[0].splitlines()
    return [line.removesuffix(f" {texts.REAL_MARK}") for line in lines]


async def answer(fake: FakeDiscord, interaction: int) -> Sent:
    (sent,) = await fake.wait_answer(interaction)
    return sent
