"""Telegram, through python-telegram-bot. A handler pulls out (user, chat, text), calls the
service, renders the Reply, and replies; nothing else lives here."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import NetworkError, RetryAfter
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.config import Config
from bot.reply import Context, Reply
from bot.service import Service

log = logging.getLogger(__name__)
SEND_ATTEMPTS = 3


def build(service: Service, config: Config) -> Application:  # type: ignore[type-arg]
    """The PTB Application with Namesmith's handlers; not started."""
    assert config.telegram_token is not None
    app = (
        Application.builder()
        .token(config.telegram_token.get_secret_value())
        .base_url(config.telegram_api_url)
        .base_file_url(config.telegram_file_url)
        # Outgoing limits: waits on Telegram's flood limits and retries a 429 for us.
        .rate_limiter(AIORateLimiter(overall_max_rate=config.telegram_overall_rate, max_retries=3))
        .concurrent_updates(True)  # a slow request never stalls other users
        .build()
    )
    app.bot_data["service"] = service
    app.add_handler(MessageHandler(filters.COMMAND, on_command))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_error_handler(on_error)
    return app


def _context(update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> Context:
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    private = chat.type == ChatType.PRIVATE

    async def chat_admin() -> bool:
        member = await ctx.bot.get_chat_member(chat.id, user.id)
        return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)

    return Context(
        user=f"tg:{user.id}",
        chat=None if private else f"tg:{chat.id}",
        platform="telegram",
        chat_admin=None if private else chat_admin,
    )


async def on_command(update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
    """A /command: ask the service, answer the sender."""
    msg = update.effective_message
    if msg is None or not msg.text or update.effective_user is None:
        return
    service: Service = ctx.bot_data["service"]
    reply = await service.on_text(_context(update, ctx), msg.text, ctx.bot.username)
    if reply is not None:
        await _send(ctx, msg.chat_id, reply, reply_to=msg.message_id)


async def on_button(update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
    """An inline button: its data names what to do; the answer goes to the chat."""
    query = update.callback_query
    if query is None or update.effective_chat is None:
        return
    await query.answer()
    service: Service = ctx.bot_data["service"]
    reply = await service.on_button(_context(update, ctx), query.data or "")
    await _send(ctx, update.effective_chat.id, reply)


async def _send(
    ctx: ContextTypes.DEFAULT_TYPE, chat_id: int, reply: Reply, reply_to: int | None = None
) -> None:
    markup = (
        InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
                for row in reply.buttons
            ]
        )
        if reply.buttons
        else None
    )
    send: Callable[[], Awaitable[object]]
    if reply.file is not None:
        file = reply.file

        def send() -> Awaitable[object]:
            return ctx.bot.send_document(
                chat_id,
                document=file.content,
                filename=file.filename,
                caption=reply.text,
                reply_to_message_id=reply_to,
            )
    else:

        def send() -> Awaitable[object]:
            return ctx.bot.send_message(
                chat_id, reply.text, reply_markup=markup, reply_to_message_id=reply_to
            )

    await _with_retries(send)


async def _with_retries(send: Callable[[], Awaitable[object]]) -> None:
    """A reply is not lost to a passing server error (a 429 is the rate limiter's)."""
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            await send()
            return
        except RetryAfter:
            raise
        except NetworkError as exc:
            if attempt == SEND_ATTEMPTS:
                raise
            log.warning("telegram send failed (%s), retry %d", type(exc).__name__, attempt)
            await asyncio.sleep(0.2 * 2**attempt)


async def on_error(update: object, ctx: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("telegram handler failed", exc_info=ctx.error)


async def run(service: Service, config: Config, stop: asyncio.Event) -> None:
    """Poll until `stop` is set, then finish in-flight replies and shut down."""
    app = build(service, config)
    async with app:  # initialize ... shutdown
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(drop_pending_updates=False)
        log.info("telegram: polling as @%s", app.bot.username)
        await stop.wait()
        await app.updater.stop()
        await app.stop()  # waits for running handlers
