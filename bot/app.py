"""The composition root: builds every resource once and hands it in; runs the adapters.

`namesmith run` starts every platform whose token is configured, in one asyncio process that
shares one engine and one database; with no token at all it opens the console chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Coroutine
from typing import Any

import storage
from bot.config import Config
from bot.ratelimit import RateLimiter
from bot.service import Service
from engine.facade import PACKAGED_MODELS, NameEngine

log = logging.getLogger(__name__)


async def build_service(config: Config, *, extra_admins: frozenset[str] = frozenset()) -> Service:
    # One torch thread per sampling worker: parallel batches, no oversubscribed cores.
    engine = NameEngine.from_folders(
        PACKAGED_MODELS, config.models_dir, workers=config.sampling_threads, torch_threads=1
    )
    store = await storage.open(config.database)
    await store.replies.prune()
    limiter = RateLimiter(config.rate_limit, config.rate_period)
    return Service(engine, store, limiter, admins=frozenset(config.admins) | extra_admins)


async def close_service(service: Service) -> None:
    await service.engine.aclose()
    await service.store.close()


async def run(config: Config, *, console: bool | None = None) -> None:
    """Run until SIGINT/SIGTERM (or, for the console, end of input)."""
    use_console = (
        console if console is not None else not (config.telegram_token or config.discord_token)
    )
    service = await build_service(
        config, extra_admins=frozenset({"console:local"}) if use_console else frozenset()
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        tasks = []
        if use_console:
            from bot.adapters import console as console_adapter

            chat = console_adapter.run(service)
            tasks.append(asyncio.create_task(_until_done(chat, stop)))
        if config.telegram_token and not use_console:
            from bot.adapters import telegram as telegram_adapter

            tasks.append(asyncio.create_task(telegram_adapter.run(service, config, stop)))
        if config.discord_token and not use_console:
            log.warning("NAMESMITH_DISCORD_TOKEN is set, but the Discord adapter is not built yet")
        if tasks:
            await asyncio.gather(*tasks)
    finally:
        await close_service(service)
        log.info("stopped cleanly")


async def _until_done(coro: Coroutine[Any, Any, None], stop: asyncio.Event) -> None:
    """Run the console until it ends by itself or a signal asks everything to stop."""
    task = asyncio.ensure_future(coro)
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    if not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    stop.set()


def main(console: bool | None = None) -> int:
    os.environ.setdefault("PTB_TIMEDELTA", "1")  # PTB 22's opt-in; quiets a deprecation warning
    config = Config()
    # Keep the console chat readable: only warnings go to its terminal.
    configure_logging("WARNING" if console else config.log_level, secrets(config))
    asyncio.run(run(config, console=console))
    return 0


def secrets(config: Config) -> list[str]:
    return [t.get_secret_value() for t in (config.telegram_token, config.discord_token) if t]


def configure_logging(level: str, hidden: list[str] | None = None) -> None:
    """Log to stderr; every record has the given secrets blanked out, whoever logs it (PTB logs
    its API URL, token included, at DEBUG)."""
    if hidden:
        install_redaction(hidden)
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,  # the CLI set up a quieter default before it knew the command
    )
    # httpx logs every request URL at INFO, and a Bot API URL contains the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def install_redaction(hidden: list[str]) -> None:
    words = [h for h in hidden if h]
    base = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base(*args, **kwargs)
        message = record.getMessage()
        if any(w in message for w in words):
            for w in words:
                message = message.replace(w, "[secret]")
            record.msg, record.args = message, ()
        return record

    logging.setLogRecordFactory(factory)
