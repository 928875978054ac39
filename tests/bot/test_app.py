"""The composition root's background work."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

import pytest

from bot.app import _watch_models_forever, configure_logging
from engine.serving.registry import ModelRegistry
from engine.serving.watch import Changes, ModelsWatch


async def test_the_models_watch_goes_on_after_a_failed_look(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    watch = ModelsWatch(ModelRegistry(), tmp_path / "models", tmp_path / "shipped")
    looks: list[int] = []
    again = asyncio.Event()

    def refresh() -> Changes:
        looks.append(1)
        if len(looks) == 1:
            raise RuntimeError("a bug in one look")
        again.set()
        return Changes()

    monkeypatch.setattr(watch, "refresh", refresh)
    task = asyncio.create_task(_watch_models_forever(watch, 0.01))
    try:
        with caplog.at_level(logging.WARNING, logger="bot.app"):
            await asyncio.wait_for(again.wait(), 10)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert "could not refresh models" in caplog.text


@pytest.mark.parametrize("sdk", ["telegram.ext.ExtBot", "telegram.ext.Updater", "discord.gateway",
                                 "discord.http"])  # fmt: skip
def test_at_debug_the_chat_sdks_never_log_message_texts(sdk: str) -> None:
    """The SDKs log whole updates at DEBUG (texts, first names); ours never do."""
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    try:
        configure_logging("DEBUG")
        assert logging.getLogger("bot.service").isEnabledFor(logging.DEBUG)
        assert not logging.getLogger(sdk).isEnabledFor(logging.DEBUG)
        assert logging.getLogger(sdk).isEnabledFor(logging.INFO)
    finally:
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]
        for name in ("telegram", "discord", "httpx", "httpcore", "aiosqlite"):
            logging.getLogger(name).setLevel(logging.NOTSET)
