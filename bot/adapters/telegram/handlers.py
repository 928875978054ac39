"""The python-telegram-bot handlers: each pulls out (user, chat, text), calls the service and
hands the Reply to delivery. Users and groups are keyed platform-neutrally (`tg:123`); an
anonymous admin or a channel is keyed by the chat it speaks as.
"""

from __future__ import annotations

import logging

from telegram import (
    CallbackQuery,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot import actions
from bot.actions import Act
from bot.adapters.telegram.delivery import Notifier, send
from bot.reply import Context, Upload
from bot.service import Service

log = logging.getLogger(__name__)

POPUP_LIMIT = 200  # characters of a callback query's answer (a pop-up)


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
        notify=Notifier(ctx.bot, chat.id, ctx.bot_data["service"].metrics),
    )


async def once(update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
    """Stop an update seen before (a redelivery) before any handler answers it."""
    service: Service = ctx.bot_data["service"]
    if not await service.first_delivery(f"tg:{update.update_id}"):
        log.info("telegram: update %s was delivered again; answered already", update.update_id)
        raise ApplicationHandlerStop


async def on_command(update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
    """A /command: ask the service, answer the sender."""
    msg = update.effective_message
    if msg is None or not msg.text or update.effective_sender is None:
        return
    service: Service = ctx.bot_data["service"]
    reply = await service.on_text(_context(update, ctx), msg.text, ctx.bot.username)
    if reply is not None:
        await send(ctx.bot, msg.chat_id, reply, service.metrics, reply_to=msg.message_id)


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
        await send(ctx.bot, msg.chat_id, reply, service.metrics, reply_to=msg.message_id)


async def on_button(update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
    """An inline button: its data names what to do. A ⭐ is answered where it was pressed (a
    pop-up, and in a private chat the button turns ✅); anything else goes to the chat."""
    query = update.callback_query
    chat = update.effective_chat
    if query is None or chat is None:
        return
    data = query.data or ""
    service: Service = ctx.bot_data["service"]
    if actions.act_of(data) is not Act.SAVE:
        await _answer(query)  # stops the button's spinner at once
        reply = await service.on_button(_context(update, ctx), data)
        if reply is not None:
            await send(ctx.bot, chat.id, reply, service.metrics)
        return
    reply = await service.on_button(_context(update, ctx), data)
    if reply is None:
        await _answer(query)
        return
    if not await _answer(query, reply.text[:POPUP_LIMIT]):
        # too late for a pop-up: said in the chat instead
        await send(ctx.bot, chat.id, reply, service.metrics)
        return
    if reply.saved is not None and chat.type == ChatType.PRIVATE:
        await _mark_saved(query, data)


async def _answer(query: CallbackQuery, text: str | None = None) -> bool:
    """Answer a button press (with a pop-up when there is text); False when Telegram no longer
    takes the answer (too old, after a restart)."""
    try:
        await query.answer(text, show_alert=False)
    except TelegramError as exc:
        log.info("callback query not answered (%s); carrying out the action anyway", exc)
        return False
    return True


async def _mark_saved(query: CallbackQuery, data: str) -> None:
    """Turn the pressed ⭐ into a ✅ (best effort: the save itself is done and said)."""
    message = query.message
    markup = message.reply_markup if isinstance(message, Message) else None
    if markup is None:
        return
    rows = [
        [
            InlineKeyboardButton(f"✅ {b.text.removeprefix('⭐ ')}", callback_data=b.callback_data)
            if b.callback_data == data
            else b
            for b in row
        ]
        for row in markup.inline_keyboard
    ]
    try:
        await query.edit_message_reply_markup(InlineKeyboardMarkup(rows))
    except TelegramError as exc:
        log.info("telegram: a saved name's button not marked (%s)", exc)


async def on_error(update: object, ctx: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("telegram handler failed", exc_info=ctx.error)
