"""A Reply as Telegram messages, and how it reaches Telegram reliably.

Layout: long texts in pieces of at most 4,096 characters (the buttons under the last), a picture
as a photo, other files as documents with a caption; buttons in rows by kind.

Delivery: a reply Telegram did not take (429, 5xx, connection refused or dropped) is sent again
with backoff for up to `SEND_DEADLINE` seconds, long enough to ride out an outage of a minute or
two; a permanent refusal (400, 403) is not retried. A send that reached Telegram but got no
answer within the read timeout is *not* sent again: it may have been delivered, and a user must
never get a reply twice (at most once for that one ambiguous case, at least once otherwise).
Each send tried again, and each reply given up on, is counted in the service's metrics.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

import httpx
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, ReplyParameters
from telegram.constants import MessageLimit
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_delay,
    wait_exponential_jitter,
)

from bot.actions import Act
from bot.metrics import Metrics
from bot.reply import Action, Reply, split_text

log = logging.getLogger(__name__)

PLATFORM = "telegram"
SEND_DEADLINE = 150.0  # seconds a reply keeps being retried
SAVES_PER_ROW, STYLES_PER_ROW = 2, 3
STYLE_BUTTONS = 6  # of the styles a reply offers, the first this many (two rows)
CAPTION_LIMIT = MessageLimit.CAPTION_LENGTH
TEXT_LIMIT = MessageLimit.MAX_TEXT_LENGTH


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


async def send(
    bot: Any, chat_id: int, reply: Reply, metrics: Metrics, reply_to: int | None = None
) -> Message | None:
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
                ),
                metrics,
            )
            return photo
        document: Message | None = await deliver(
            lambda: bot.send_document(
                chat_id,
                document=file.content,
                filename=file.filename,
                caption=caption,
                reply_parameters=quote,
            ),
            metrics,
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

        sent = await deliver(one, metrics)
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


async def deliver(send_once: Callable[[], Awaitable[Any]], metrics: Metrics) -> Any:
    """Send, retrying what Telegram did not take; give up (logged) after SEND_DEADLINE.
    Returns what the send returned, or None when it was not delivered (or not known to be)."""

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.warning("telegram send failed (%s), retry %d", type(exc).__name__, state.attempt_number)
        metrics.send_retried(PLATFORM)

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
    except TelegramError:  # refused for good (403), or not taken by the deadline
        metrics.send_dropped(PLATFORM)
        raise
    metrics.send_dropped(PLATFORM)
    return None


class Notifier:
    """Messages a long job sends to one chat after its reply, and edits of them."""

    def __init__(self, bot: Any, chat_id: int, metrics: Metrics) -> None:
        self.bot, self.chat_id, self.metrics = bot, chat_id, metrics

    async def send(self, reply: Reply) -> Hashable:
        sent = await send(self.bot, self.chat_id, reply, self.metrics)
        return sent.message_id if sent is not None else None

    async def edit(self, handle: Hashable, text: str) -> None:
        if not isinstance(handle, int):
            return
        try:
            await self.bot.edit_message_text(text[:TEXT_LIMIT], self.chat_id, handle)
        except TelegramError as exc:  # "message is not modified", a deleted message: no matter
            log.info("telegram: progress message not edited (%s)", exc)
