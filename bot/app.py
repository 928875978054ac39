"""The composition root: builds every resource once and hands it in; runs the adapters.

`namesmith run` starts every platform whose token is configured, in one asyncio process that
shares one engine and one database; with no token at all it opens the console chat. Each
platform is an adapter, a coroutine `run(stop)` that serves until `stop` is set; if one of them
fails, the others are stopped and the process exits non-zero with one line saying why.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any

import storage
from bot.config import Config, ConfigError, load
from bot.errors import FatalError
from bot.monitor import MonitorServer
from bot.ratelimit import Limiter, RateLimiter, SharedRateLimiter
from bot.service import Service
from bot.service.retrain import Retraining
from engine.errors import EngineError
from engine.retraining.supervisor import Retrainer
from engine.serving.generator import NameEngine
from engine.serving.modelstore import ModelStore
from engine.serving.registry import PACKAGED_MODELS
from engine.serving.shared import SHARED_FILE
from engine.serving.watch import ModelsWatch
from storage import StorageError

log = logging.getLogger(__name__)

PRUNE_EVERY = 3600.0  # seconds between sweeps of expired button state
Adapter = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


async def build_service(config: Config, *, extra_admins: frozenset[str] = frozenset()) -> Service:
    # One torch thread per sampling worker: parallel batches, no oversubscribed cores.
    engine = NameEngine.from_folders(
        PACKAGED_MODELS, config.models_dir, workers=config.sampling_threads, torch_threads=1
    )
    try:
        store = await storage.open(config.database_target)
    except BaseException:
        await engine.aclose()
        raise
    limiter: Limiter
    if config.shared_rate_limits:  # several replicas on one PostgreSQL share the buckets
        limiter = SharedRateLimiter(store.rate_limits, config.rate_limit, config.rate_period)
    else:
        limiter = RateLimiter(config.rate_limit, config.rate_period)
    retrainer = Retrainer(
        ModelStore(config.models_dir),
        engine.registry,
        max_seconds=config.retrain_max_seconds,
        base=PACKAGED_MODELS / SHARED_FILE,  # a style is learned as a voice of the shipped model
    )
    retraining = Retraining(retrainer, store, default_seconds=config.retrain_seconds)
    return Service(
        engine,
        store,
        limiter,
        admins=frozenset(config.admins) | extra_admins,
        retraining=retraining,
    )


async def close_service(service: Service) -> None:
    if service.retraining is not None:
        await service.retraining.aclose()  # a running training is cancelled, not orphaned
    await service.engine.aclose()
    await service.store.close()


def adapters(service: Service, config: Config, console: bool) -> dict[str, Adapter]:
    """The platforms this process serves, by name."""
    if console:
        from bot.adapters import console as console_adapter

        return {"console": lambda stop: console_adapter.run(service, stop=stop)}
    found: dict[str, Adapter] = {}
    tokens = config.tokens()
    if "telegram" in tokens:
        from bot.adapters.telegram.run import run as run_telegram

        found["telegram"] = lambda stop: run_telegram(service, config, stop)
    if "discord" in tokens:
        from bot.adapters.discord.run import run as run_discord

        found["discord"] = lambda stop: run_discord(service, config, stop)
    return found


async def run(config: Config, *, console: bool | None = None) -> None:
    """Run until SIGINT/SIGTERM (or, for the console, end of input)."""
    use_console = console if console is not None else not config.tokens()
    service = await build_service(
        config, extra_admins=frozenset({"console:local"}) if use_console else frozenset()
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    running = adapters(service, config, use_console)
    for name in running.keys() - {"console"}:
        service.metrics.expect(name)  # not ready until its adapter says it is connected
    background = [asyncio.create_task(_prune_forever(service))]
    if config.models_poll_seconds > 0:
        watch = ModelsWatch(service.engine.registry, config.models_dir, PACKAGED_MODELS)
        background.append(
            asyncio.create_task(_watch_models_forever(watch, config.models_poll_seconds))
        )
    monitor: MonitorServer | None = None
    try:
        monitor = await start_monitor(service, config)
        await serve(running, stop)
    finally:
        if monitor is not None:
            await monitor.stop()
        for task in background:
            task.cancel()
        for task in background:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await close_service(service)
        log.info("stopped cleanly")


async def start_monitor(service: Service, config: Config) -> MonitorServer | None:
    """The operator's port (/healthz, /readyz, /metrics) when NAMESMITH_METRICS_LISTEN is set."""
    address = config.metrics_address
    if address is None:
        return None
    monitor = MonitorServer(service, *address)
    try:
        await monitor.start()
    except OSError as exc:
        raise FatalError(
            f"cannot listen for metrics on {config.metrics_listen} "
            f"(NAMESMITH_METRICS_LISTEN): {exc.strerror or exc}"
        ) from None
    log.info("metrics, /healthz and /readyz on %s", ", ".join(monitor.addresses))
    return monitor


async def serve(running: dict[str, Adapter], stop: asyncio.Event) -> None:
    """Run every adapter until `stop`; the first one to fail stops the rest and is raised."""
    if not running:
        return
    tasks: dict[asyncio.Task[None], str] = {
        asyncio.create_task(a(stop), name=name): name for name, a in running.items()
    }
    pending: set[asyncio.Task[None]] = set(tasks)
    failure: BaseException | None = None
    while pending and failure is None:
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                failure = task.exception()
            elif len(tasks) == 1 or tasks[task] == "console":
                stop.set()  # the console ending (end of input, /quit) ends the process
    stop.set()
    if pending:
        await asyncio.wait(pending, timeout=30)
        for task in pending:
            task.cancel()
    if failure is not None:
        raise failure


async def _prune_forever(service: Service) -> None:
    """Forget expired button state as the bot runs, not only at start."""
    while True:
        try:
            await service.store.replies.prune()
            await service.store.rate_limits.prune(time.time())
            await service.store.deliveries.prune()
        except StorageError as exc:
            log.warning("could not prune old replies or rate limits: %s", exc)
        await asyncio.sleep(PRUNE_EVERY)


async def _watch_models_forever(watch: ModelsWatch, every: float) -> None:
    """Serve the styles another replica adopts or rolls back in the shared models folder."""
    while True:
        try:
            await asyncio.to_thread(watch.refresh)  # torch.load: never on the event loop
        except Exception:  # keep watching: the next look may succeed
            log.warning("could not refresh models from %s", watch.folder, exc_info=True)
        await asyncio.sleep(every)


def ask(text: str) -> int:
    """`namesmith npc|party|table ...`: one chat command answered on the console user's
    behalf, its answer printed; 2 and the reason on stderr when the command is refused."""
    from bot.adapters.console import USER
    from bot.reply import Context

    try:
        config = load()
    except ConfigError as exc:
        print(f"namesmith: bad configuration: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    configure_logging("WARNING", config.secrets())

    async def once() -> str | None:
        service = await build_service(config)
        try:
            ctx = Context(user=USER, platform="console", trusted=True)
            reply = await service.on_text(ctx, text)
        finally:
            await close_service(service)
        return None if reply is None else reply.plain

    answer = asyncio.run(once()) or ""
    if answer.startswith("⚠️"):
        print(f"namesmith: {answer.removeprefix('⚠️').strip()}", file=sys.stderr)  # noqa: T201
        return 2
    print(answer)  # noqa: T201
    return 0


def main(console: bool | None = None) -> int:
    """`namesmith run` / `namesmith chat`: 0 after a clean stop; 1 and one line on stderr for a
    fatal error (the line names the problem, never a secret)."""
    os.environ.setdefault("PTB_TIMEDELTA", "1")  # PTB 22's opt-in; quiets a deprecation warning
    try:
        config = load()
    except ConfigError as exc:
        print(f"namesmith: bad configuration: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    hidden = config.secrets()
    if console is None:
        console = not config.tokens()
    # Keep the console chat readable: only warnings go to its terminal.
    configure_logging("WARNING" if console else config.log_level, hidden)
    try:
        asyncio.run(run(config, console=console))
    except KeyboardInterrupt:
        return 130
    except FatalError as exc:
        return _fatal(str(exc), hidden)
    except (StorageError, EngineError, OSError) as exc:
        return _fatal(f"cannot start: {exc}", hidden)
    except Exception as exc:
        log.debug("fatal error", exc_info=True)
        return _fatal(f"stopped by an unexpected error: {type(exc).__name__}: {exc}", hidden)
    return 0


def discord_sync(guild: int | None = None) -> int:
    """`namesmith discord-sync [--guild ID]`: push the slash commands once, then exit."""
    from bot.adapters.discord.run import sync_commands

    try:
        config = load()
    except ConfigError as exc:
        print(f"namesmith: bad configuration: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    if config.discord_token is None or not config.discord_token.get_secret_value():
        print("namesmith: set NAMESMITH_DISCORD_TOKEN to sync commands", file=sys.stderr)  # noqa: T201
        return 2
    hidden = config.secrets()
    configure_logging(config.log_level, hidden)
    try:
        n = asyncio.run(sync_commands(config, guild))
    except FatalError as exc:
        return _fatal(str(exc), hidden)
    where = f"to server {guild}" if guild else "everywhere (Discord may take a while to show them)"
    print(f"synced {n} slash commands {where}")  # noqa: T201
    return 0


def _fatal(message: str, hidden: list[str]) -> int:
    print(f"namesmith: {redact(message, hidden)}", file=sys.stderr)  # noqa: T201
    return 1


def redact(text: str, hidden: list[str]) -> str:
    # Longest first, so a token is blanked whole before its tail is looked for.
    for word in sorted((h for h in hidden if h), key=len, reverse=True):
        text = text.replace(word, "[secret]")
    return text


class RedactingFormatter(logging.Formatter):
    """Blanks secrets in the whole formatted record: message, traceback and stack."""

    def __init__(self, fmt: str, hidden: list[str]) -> None:
        super().__init__(fmt)
        self.hidden = hidden

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self.hidden)


def configure_logging(level: str, hidden: list[str] | None = None) -> None:
    """Log to stderr; every record has the given secrets blanked out, whoever logs it (PTB logs
    its API URL, token included, at DEBUG; an InvalidToken traceback holds the token)."""
    hidden = [h for h in hidden or [] if h]
    if hidden:
        install_redaction(hidden)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", hidden)
    )
    logging.basicConfig(
        level=level.upper(),
        handlers=[handler],
        force=True,  # the CLI set up a quieter default before it knew the command
    )
    # httpx logs every request URL at INFO, and a Bot API URL contains the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    # aiosqlite's worker thread logs every operation at DEBUG, even the last one after the loop
    # has ended: it could land after a fatal error's closing line.
    logging.getLogger("aiosqlite").setLevel(max(logging.INFO, logging.getLogger().level))
    # The chat SDKs log whole requests and updates at DEBUG: message texts, users' names. Our
    # own DEBUG lines never hold them; the SDKs' stay at INFO and above whatever the level.
    for sdk in ("telegram", "discord"):
        logging.getLogger(sdk).setLevel(max(logging.INFO, logging.getLogger().level))


def install_redaction(hidden: list[str]) -> None:
    """Blank secrets in each record's message for every handler, ours or a test's."""
    words = [h for h in hidden if h]
    base = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a bad format string is logging's to report, not ours
            return record
        if any(w in message for w in words):
            record.msg, record.args = redact(message, words), ()
        return record

    logging.setLogRecordFactory(factory)
