"""Telegram, through python-telegram-bot. A handler pulls out (user, chat, text), calls the
service, renders the Reply, and replies; the rest of this module is how a reply reaches
Telegram reliably.

Delivery: a reply Telegram did not take (429, 5xx, connection refused or dropped) is sent again
with backoff for up to `SEND_DEADLINE` seconds, long enough to ride out an outage of a minute or
two; a permanent refusal (400, 403) is not retried. A send that reached Telegram but got no
answer within the read timeout is *not* sent again: it may have been delivered, and a user must
never get a reply twice (at most once for that one ambiguous case, at least once otherwise).

Order: one sender's updates are handled one after another, in the order Telegram gave them,
while different senders are served concurrently (`SenderOrderedProcessor`).

Receiving: polling by default; with NAMESMITH_TELEGRAM_WEBHOOK_URL set, python-telegram-bot's
own webhook server (tornado), so that several replicas can share one bot behind a load
balancer. Each replica sets the same webhook at start and leaves it set when it stops (another
replica may still be serving). The server answers Telegram before the update is handled, so an
update in flight when a replica is killed is lost, like one in flight in a polling process;
everything a user was told was done (a reply sent) is committed before the reply.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

import httpx
from telegram import (
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType, MessageLimit
from telegram.error import (
    BadRequest,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_delay,
    wait_exponential_jitter,
)

from bot.actions import Act
from bot.config import Config
from bot.errors import FatalError
from bot.ordering import InOrder
from bot.reply import Action, Context, Reply, Upload, split_text
from bot.service import Service

log = logging.getLogger(__name__)

SEND_DEADLINE = 150.0  # seconds a reply keeps being retried
SAVES_PER_ROW, STYLES_PER_ROW = 2, 3
STYLE_BUTTONS = 6  # of the styles a reply offers, the first this many (two rows)
CAPTION_LIMIT = MessageLimit.CAPTION_LENGTH
TEXT_LIMIT = MessageLimit.MAX_TEXT_LENGTH


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
    PTB's polling loop stops quietly on it, and a bot that no longer polls must not live on."""

    def __init__(self, on_rejected: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._on_rejected = on_rejected

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        code, body = await super().do_request(*args, **kwargs)
        if code in (401, 404):
            self._on_rejected()
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
    timeouts = {
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
        .get_updates_request(_WatchedRequest(on_token_rejected, **timeouts))
        # Paces outgoing messages to Telegram's flood limits, and waits out a 429 for every
        # request at once (Telegram's flood control is per bot).
        .rate_limiter(AIORateLimiter(overall_max_rate=config.telegram_overall_rate, max_retries=8))
        .concurrent_updates(SenderOrderedProcessor())
        .build()
    )
    app.bot_data["service"] = service
    # New messages only: an edited "/unfav all" must not run again.
    app.add_handler(MessageHandler(filters.Document.ALL & filters.UpdateType.MESSAGE, on_document))
    app.add_handler(MessageHandler(filters.COMMAND & filters.UpdateType.MESSAGE, on_command))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_error_handler(on_error)
    return app


class _Notifier:
    """Messages a long job sends to one chat after its reply, and edits of them."""

    def __init__(self, bot: Any, chat_id: int) -> None:
        self.bot, self.chat_id = bot, chat_id

    async def send(self, reply: Reply) -> Hashable:
        sent = await send(self.bot, self.chat_id, reply)
        return sent.message_id if sent is not None else None

    async def edit(self, handle: Hashable, text: str) -> None:
        if not isinstance(handle, int):
            return
        try:
            await self.bot.edit_message_text(text[:TEXT_LIMIT], self.chat_id, handle)
        except TelegramError as exc:  # "message is not modified", a deleted message: no matter
            log.info("telegram: progress message not edited (%s)", exc)


def _context(
    update: Update, ctx: ContextTypes.DEFAULT_TYPE, upload: Upload | None = None
) -> Context:
    chat = update.effective_chat
    sender = update.effective_sender  # a user, or the chat an anonymous admin or channel speaks as
    assert chat is not None and sender is not None
    private = chat.type == ChatType.PRIVATE

    async def chat_admin() -> bool:
        if isinstance(sender, Chat):
            return sender.id == chat.id  # an anonymous admin of this very group
        member = await ctx.bot.get_chat_member(chat.id, sender.id)
        return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)

    return Context(
        user=f"tg:{sender.id}",
        chat=None if private else f"tg:{chat.id}",
        platform="telegram",
        chat_admin=None if private else chat_admin,
        shared_budget=None if private else f"tg:{chat.id}",
        upload=upload,
        notify=_Notifier(ctx.bot, chat.id),
    )


async def on_command(update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
    """A /command: ask the service, answer the sender."""
    msg = update.effective_message
    if msg is None or not msg.text or update.effective_sender is None:
        return
    service: Service = ctx.bot_data["service"]
    reply = await service.on_text(_context(update, ctx), msg.text, ctx.bot.username)
    if reply is not None:
        await send(ctx.bot, msg.chat_id, reply, reply_to=msg.message_id)


async def on_document(update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
    """A file: with a /command as its caption it goes with that command (/retrain elf);
    without one, it may be the file a pending /retrain asked for."""
    msg = update.effective_message
    if msg is None or msg.document is None or update.effective_sender is None:
        return
    document = msg.document

    async def fetch() -> bytes:
        file = await ctx.bot.get_file(document.file_id)
        return bytes(await file.download_as_bytearray())

    upload = Upload(document.file_name or "names.txt", document.file_size, fetch)
    service: Service = ctx.bot_data["service"]
    context = _context(update, ctx, upload)
    caption = msg.caption or ""
    if caption.startswith("/"):
        reply = await service.on_text(context, caption, ctx.bot.username)
    else:
        reply = await service.on_upload(context)
    if reply is not None:
        await send(ctx.bot, msg.chat_id, reply, reply_to=msg.message_id)


async def on_button(update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
    """An inline button: its data names what to do; the answer goes to the chat."""
    query = update.callback_query
    if query is None or update.effective_chat is None:
        return
    try:
        await query.answer()  # stops the button's spinner; too late after a restart, and fine
    except TelegramError as exc:
        log.info("callback query not answered (%s); carrying out the action anyway", exc)
    service: Service = ctx.bot_data["service"]
    reply = await service.on_button(_context(update, ctx), query.data or "")
    if reply is not None:
        await send(ctx.bot, update.effective_chat.id, reply)


async def on_error(update: object, ctx: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("telegram handler failed", exc_info=ctx.error)


# --- rendering ------------------------------------------------------------------------------


def keyboard(actions: tuple[Action, ...]) -> InlineKeyboardMarkup | None:
    """Saves two to a row, then "more", then styles three to a row, then the rest."""
    if not actions:
        return None
    rows: list[list[InlineKeyboardButton]] = []
    for kind, width in ((Act.SAVE, SAVES_PER_ROW), (Act.MORE, 1), (Act.STYLE, STYLES_PER_ROW)):
        group = [a for a in actions if a.kind == kind]
        if kind == Act.STYLE:
            group = group[:STYLE_BUTTONS]
        rows += [_buttons(group[i : i + width]) for i in range(0, len(group), width)]
    rest = [a for a in actions if a.kind not in (Act.SAVE, Act.MORE, Act.STYLE)]
    if rest:
        rows.append(_buttons(rest))
    return InlineKeyboardMarkup(rows)


def _buttons(actions: list[Action]) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(a.caption, callback_data=a.data) for a in actions]


def chunks(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """A long text in pieces Telegram takes (4,096 characters), split at line breaks."""
    return split_text(text, limit)


async def send(bot: Any, chat_id: int, reply: Reply, reply_to: int | None = None) -> Message | None:
    """Deliver a reply: long texts in pieces (buttons under the last), a picture as a photo,
    other files as documents with a caption. Returns the last message sent, if known."""
    quote = (
        ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
        if reply_to is not None
        else None
    )
    if reply.file is not None:
        file = reply.file
        caption = reply.plain
        if len(caption) > CAPTION_LIMIT:
            caption = caption[: CAPTION_LIMIT - 1] + "…"
        if file.filename.endswith(".png"):
            photo: Message | None = await deliver(
                lambda: bot.send_photo(
                    chat_id, photo=file.content, caption=caption, reply_parameters=quote
                )
            )
            return photo
        document: Message | None = await deliver(
            lambda: bot.send_document(
                chat_id,
                document=file.content,
                filename=file.filename,
                caption=caption,
                reply_parameters=quote,
            )
        )
        return document
    pieces = chunks(reply.plain)
    markup = keyboard(reply.actions)
    sent: Message | None = None
    for i, piece in enumerate(pieces):
        last = i == len(pieces) - 1

        def one(piece: str = piece, last: bool = last, first: bool = i == 0) -> Awaitable[Message]:
            return bot.send_message(  # type: ignore[no-any-return]
                chat_id,
                piece,
                reply_markup=markup if last else None,
                reply_parameters=quote if first else None,
            )

        sent = await deliver(one)
    return sent


def _transient(exc: BaseException) -> bool:
    """Worth sending again: Telegram did not take the message."""
    if isinstance(exc, RetryAfter):
        return True
    if isinstance(exc, TimedOut):
        # Sent, but unanswered in time: it may have been delivered. Never risk a duplicate.
        return not isinstance(exc.__cause__, httpx.ReadTimeout)
    return isinstance(exc, NetworkError) and not isinstance(exc, BadRequest)


def _wait(state: RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, RetryAfter):
        return float(exc.retry_after.total_seconds()) + 0.1  # type: ignore[union-attr]
    return float(_BACKOFF(state))


_BACKOFF = wait_exponential_jitter(multiplier=0.5, max=5.0, jitter=0.5)


async def deliver(send_once: Callable[[], Awaitable[Any]]) -> Any:
    """Send, retrying what Telegram did not take; give up (logged) after SEND_DEADLINE.
    Returns what the send returned, or None when it was not delivered (or not known to be)."""

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.warning("telegram send failed (%s), retry %d", type(exc).__name__, state.attempt_number)

    try:
        async for attempt in AsyncRetrying(
            retry=retry_if_exception(_transient),
            wait=_wait,
            stop=stop_after_delay(SEND_DEADLINE),
            before_sleep=before_sleep,
            reraise=True,
        ):
            with attempt:
                return await send_once()
    except TimedOut as exc:
        log.warning("telegram send timed out after it was sent (%s); not resending", exc)
    except BadRequest as exc:
        log.warning("telegram refused a reply: %s", exc)
    return None


# --- running --------------------------------------------------------------------------------


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


def _poll_failed(exc: TelegramError) -> None:
    """A failed getUpdates (PTB retries it with backoff): one line, not a traceback a time."""
    log.warning("telegram: polling failed (%s: %s); retrying", type(exc).__name__, exc)


async def _stop(app: Application) -> None:  # type: ignore[type-arg]
    """Stop receiving, let running handlers finish, close; whatever state polling ended in."""
    if app.updater is not None and app.updater.running:
        try:
            await app.updater.stop()
        except TelegramError as exc:  # the polling loop died of it (a revoked token)
            log.info("telegram: polling had stopped: %s", type(exc).__name__)
    if app.running:
        await app.stop()  # waits for running handlers
    await app.shutdown()


WEBHOOK_BOOTSTRAP_RETRIES = 5  # setWebhook tries at start (the API was reachable a moment ago)


async def receive(app: Application, config: Config) -> str:  # type: ignore[type-arg]
    """Start receiving updates: the webhook server if a webhook URL is configured, else
    polling. Returns how, for the log."""
    assert app.updater is not None
    url = config.telegram_webhook_url
    if url is None:
        await app.updater.start_polling(drop_pending_updates=False, error_callback=_poll_failed)
        return "polling"
    secret = config.telegram_webhook_secret
    assert secret is not None  # the configuration refuses a webhook without one
    host, port = config.telegram_webhook_address
    try:
        await app.updater.start_webhook(
            listen=host,
            port=port,
            url_path=url.path or "/",
            webhook_url=str(url),
            secret_token=secret.get_secret_value(),
            bootstrap_retries=WEBHOOK_BOOTSTRAP_RETRIES,
            drop_pending_updates=False,
        )
    except BadRequest as exc:
        raise FatalError(
            f"Telegram refused the webhook NAMESMITH_TELEGRAM_WEBHOOK_URL={url}: {exc}"
        ) from None
    except OSError as exc:
        raise FatalError(
            f"cannot listen for webhooks on {config.telegram_webhook_listen} "
            f"(NAMESMITH_TELEGRAM_WEBHOOK_LISTEN): {exc.strerror or exc}"
        ) from None
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
