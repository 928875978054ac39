"""Running the Telegram bot: the Application and its handlers, start and stop.

Order: one sender's updates are handled one after another, in the order Telegram gave them,
while different senders are served concurrently (`SenderOrderedProcessor`).

Receiving: polling by default; with NAMESMITH_TELEGRAM_WEBHOOK_URL set, python-telegram-bot's
own webhook server (tornado), so that several replicas can share one bot behind a load
balancer. Each replica sets the same webhook at start and leaves it set when it stops (another
replica may still be serving). The server answers Telegram before the update is handled, so an
update in flight when a replica is killed is lost, like one in flight in a polling process;
everything a user was told was done (a reply sent) is committed before the reply.

A token rejected at start or while running (revoked) ends the bot with one fatal line.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault, Update
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot import texts
from bot.adapters.telegram.handlers import on_button, on_command, on_document, on_error, once
from bot.adapters.telegram.webhook import WebhookServer
from bot.config import Config
from bot.errors import FatalError
from bot.ordering import InOrder
from bot.service import Service

log = logging.getLogger(__name__)


# --- order ---------------------------------------------------------------------------------


class SenderOrderedProcessor(BaseUpdateProcessor):
    """Runs updates concurrently, except that one sender's updates run one at a time, in order
    (`/fav X` then `/unfav X` must not swap)."""

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._order = InOrder()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _sender_id(update) if isinstance(update, Update) else None
        if key is None:
            await coroutine
            return
        async with self._order.turn(key):
            await coroutine

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def _sender_id(update: Update) -> int | None:
    sender = update.effective_sender
    return None if sender is None else sender.id


# --- requests that notice a revoked token ---------------------------------------------------


class _WatchedRequest(HTTPXRequest):
    """HTTPXRequest that reports a rejected token (401/404 from the API), whichever call saw it:
    PTB's polling loop stops quietly on it, and a bot that no longer polls must not live on.
    `on_answered` hears of every answer that is not an error (a getUpdates that went through:
    polling works again after a failure)."""

    def __init__(
        self,
        on_rejected: Callable[[], None],
        *,
        on_answered: Callable[[], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._on_rejected = on_rejected
        self._on_answered = on_answered

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        code, body = await super().do_request(*args, **kwargs)
        if code in (401, 404):
            self._on_rejected()
        elif code < 400 and self._on_answered is not None:
            self._on_answered()
        return code, body


# --- the application ------------------------------------------------------------------------


def build(
    service: Service,
    config: Config,
    *,
    on_token_rejected: Callable[[], None] = lambda: None,
) -> Application:  # type: ignore[type-arg]
    """The PTB Application with Namesmith's handlers; not started."""
    assert config.telegram_token is not None
    timeouts: dict[str, Any] = {
        "read_timeout": config.telegram_read_timeout,
        "write_timeout": 20.0,
        "connect_timeout": 10.0,
        "pool_timeout": 5.0,
    }
    app = (
        Application.builder()
        .token(config.telegram_token.get_secret_value())
        .base_url(config.telegram_api_url)
        .base_file_url(config.telegram_file_url)
        .request(_WatchedRequest(on_token_rejected, connection_pool_size=256, **timeouts))
        .get_updates_request(
            _WatchedRequest(on_token_rejected, on_answered=_polled(service), **timeouts)
        )
        # Paces outgoing messages to Telegram's flood limits, and waits out a 429 for every
        # request at once (Telegram's flood control is per bot).
        .rate_limiter(AIORateLimiter(overall_max_rate=config.telegram_overall_rate, max_retries=8))
        .concurrent_updates(SenderOrderedProcessor())
        .build()
    )
    app.bot_data["service"] = service
    # Before any other handler: an update Telegram delivers again (to this replica or another)
    # is answered once.
    app.add_handler(TypeHandler(Update, once), group=-1)
    # New messages only: an edited "/unfav all" must not run again.
    app.add_handler(MessageHandler(filters.Document.ALL & filters.UpdateType.MESSAGE, on_document))
    app.add_handler(MessageHandler(filters.COMMAND & filters.UpdateType.MESSAGE, on_command))
    # In a private chat every message is for the bot: the service reads "name elf" too.
    private_text = filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE
    app.add_handler(MessageHandler(private_text & filters.UpdateType.MESSAGE, on_command))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_error_handler(on_error)
    return app


# --- running --------------------------------------------------------------------------------


def _service(app: Application) -> Service:  # type: ignore[type-arg]
    service: Service = app.bot_data["service"]
    return service


async def _start(app: Application, patience: float) -> None:  # type: ignore[type-arg]
    """initialize() (getMe), retried with backoff while the API cannot be reached, for up to
    `patience` seconds."""
    started = time.monotonic()
    attempt = 0
    while True:
        attempt += 1
        try:
            await app.initialize()
            return
        except InvalidToken:
            raise FatalError(
                "Telegram rejected the bot token (NAMESMITH_TELEGRAM_TOKEN); "
                "check it with @BotFather"
            ) from None
        except BadRequest as exc:
            raise FatalError(f"Telegram refused to start the bot: {exc}") from None
        except (NetworkError, RetryAfter) as exc:
            waited = time.monotonic() - started
            delay = min(2.0**attempt, 30.0, max(0.0, patience - waited))
            if not delay:
                raise FatalError(
                    f"cannot reach the Telegram API after {attempt} tries in {waited:.0f} s "
                    f"({type(exc).__name__}); check the network or NAMESMITH_TELEGRAM_API_URL"
                ) from None
            log.warning(
                "telegram: API unreachable (%s), try %d; again in %.0f s",
                type(exc).__name__,
                attempt,
                delay,
            )
            await asyncio.sleep(delay)


PLATFORM = "telegram"


def _polled(service: Service) -> Callable[[], None]:
    """The readiness hook of a getUpdates that went through: polling works."""
    return lambda: service.metrics.connected(PLATFORM)


def _poll_failed(service: Service) -> Callable[[TelegramError], None]:
    def failed(exc: TelegramError) -> None:
        """A failed getUpdates (PTB retries it with backoff): one line, not a traceback a time;
        not ready until one goes through again."""
        service.metrics.connected(PLATFORM, False)
        log.warning("telegram: polling failed (%s: %s); retrying", type(exc).__name__, exc)

    return failed


async def _stop(app: Application) -> None:  # type: ignore[type-arg]
    """Stop receiving, let running handlers finish, close; whatever state polling ended in."""
    _service(app).metrics.connected(PLATFORM, False)
    server = app.bot_data.pop(WEBHOOK_SERVER, None)
    if isinstance(server, WebhookServer):
        await server.stop()
    if app.updater is not None and app.updater.running:
        try:
            await app.updater.stop()
        except TelegramError as exc:  # the polling loop died of it (a revoked token)
            log.info("telegram: polling had stopped: %s", type(exc).__name__)
    if app.running:
        await app.stop()  # waits for running handlers
    await app.shutdown()
    _service(app).metrics.connected(PLATFORM, False)  # a getUpdates answered meanwhile said up


WEBHOOK_BOOTSTRAP_RETRIES = 5  # setWebhook tries at start (the API was reachable a moment ago)
WEBHOOK_SERVER = "webhook_server"  # where the running webhook server is kept, for _stop


async def set_menu(app: Application, config: Config) -> None:  # type: ignore[type-arg]
    """The "/" command menu: everyone's commands in every chat, and the admins' commands too in
    each admin's private chat. Best effort: a menu Telegram refuses is logged, never fatal."""
    everyone = [BotCommand(c, d) for c, d in texts.menu(admin=False)]
    admins = [BotCommand(c, d) for c, d in texts.menu(admin=True)]
    chats = [int(a.removeprefix("tg:")) for a in config.admins if a.startswith("tg:")]
    menus = [
        (everyone, BotCommandScopeDefault()),
        *((admins, BotCommandScopeChat(c)) for c in chats),
    ]
    for commands, scope in menus:  # one refused (an admin who never opened the bot) stops none
        try:
            await app.bot.set_my_commands(commands, scope=scope)
        except TelegramError as exc:
            log.warning("telegram: a command menu was not set (%s)", exc)


async def receive(app: Application, config: Config) -> str:  # type: ignore[type-arg]
    """Set the command menu, then start receiving updates: the webhook server if a webhook URL
    is configured, else polling. Returns how, for the log."""
    assert app.updater is not None
    await set_menu(app, config)
    url = config.telegram_webhook_url
    service = _service(app)
    if url is None:
        await app.updater.start_polling(
            drop_pending_updates=False, error_callback=_poll_failed(service)
        )
        service.metrics.connected(PLATFORM)
        return "polling"
    secret = config.telegram_webhook_secret
    assert secret is not None  # the configuration refuses a webhook without one
    host, port = config.telegram_webhook_address
    server = WebhookServer(
        app, path=url.path or "/", secret=secret.get_secret_value(), host=host, port=port
    )
    try:
        await server.start()
    except OSError as exc:
        raise FatalError(
            f"cannot listen for webhooks on {config.telegram_webhook_listen} "
            f"(NAMESMITH_TELEGRAM_WEBHOOK_LISTEN): {exc.strerror or exc}"
        ) from None
    app.bot_data[WEBHOOK_SERVER] = server
    for attempt in range(1, WEBHOOK_BOOTSTRAP_RETRIES + 1):
        try:
            await app.bot.set_webhook(
                str(url), secret_token=secret.get_secret_value(), drop_pending_updates=False
            )
            break
        except BadRequest as exc:
            raise FatalError(
                f"Telegram refused the webhook NAMESMITH_TELEGRAM_WEBHOOK_URL={url}: {exc}"
            ) from None
        except NetworkError as exc:
            if attempt == WEBHOOK_BOOTSTRAP_RETRIES:
                raise FatalError(
                    f"could not set the webhook NAMESMITH_TELEGRAM_WEBHOOK_URL={url}: {exc}"
                ) from None
            await asyncio.sleep(attempt)
    service.metrics.connected(PLATFORM)
    return f"webhook on {config.telegram_webhook_listen}{url.path or '/'}"


async def run(service: Service, config: Config, stop: asyncio.Event) -> None:
    """Receive updates (polling, or webhooks) until `stop` is set, then finish in-flight replies
    and shut down. Raises FatalError when the token is rejected, at start or while running."""
    rejected = asyncio.Event()
    app = build(service, config, on_token_rejected=rejected.set)
    await _start(app, config.telegram_start_patience)
    try:
        await app.start()
        how = await receive(app, config)
        log.info("telegram: %s as @%s", how, app.bot.username)
        waiters = {asyncio.create_task(stop.wait()), asyncio.create_task(rejected.wait())}
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        for w in waiters:
            w.cancel()
    finally:
        await _stop(app)
    if rejected.is_set():
        raise FatalError(
            "Telegram rejected the bot token while running (revoked?); "
            "set a valid NAMESMITH_TELEGRAM_TOKEN"
        )
