"""The python-telegram-bot handlers: each pulls out (user, chat, text), calls the service and
hands the Reply to delivery. Users and groups are keyed platform-neutrally (`tg:123`); an
anonymous admin or a channel is keyed by the chat it speaks as.
"""

from __future__ import annotations

import logging

from telegram import Chat, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.adapters.telegram.delivery import Notifier, send
from bot.reply import Context, Upload
from bot.service import Service

log = logging.getLogger(__name__)


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
        notify=Notifier(ctx.bot, chat.id),
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
    reply = await service.on_file(context, msg.caption, ctx.bot.username)
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
