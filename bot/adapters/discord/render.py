"""A Reply as discord.py objects: an embed for names, buttons and menus for its actions, and
the two ways an answer goes out (to an interaction, or to a channel). Which rows and how long
is decided without the SDK, in `layout`.

Buttons and menus are dynamic items keyed by their custom id, the state behind them in the
database: they keep working after a restart, for whoever presses them. A press is handed to
the bot (`on_action`, `on_menu`); nothing here decides what it does.
"""

from __future__ import annotations

import contextlib
import io
import logging
from dataclasses import replace
from typing import Any, Protocol, runtime_checkable

import discord
from discord.utils import escape_markdown

from bot.actions import Act
from bot.adapters.discord.layout import (
    LABEL_LIMIT,
    OPTION_LIMIT,
    Row,
    RowKind,
    chunks,
    clip,
    names_embed,
    rows,
)
from bot.reply import Reply

log = logging.getLogger(__name__)

EMBED_COLOUR = discord.Colour(0x8E6C3A)
_BUTTON_STYLES = {
    Act.MORE: discord.ButtonStyle.primary,
    Act.CONFIRM: discord.ButtonStyle.danger,
}


@runtime_checkable
class Presses(Protocol):
    """What the bot does with a press of a button or a menu (the client answers both)."""

    async def on_action(self, interaction: discord.Interaction, data: str) -> None: ...

    async def on_menu(
        self, interaction: discord.Interaction, kind: str, values: list[str]
    ) -> None: ...


def _presses(interaction: discord.Interaction) -> Presses:
    client = interaction.client
    assert isinstance(client, Presses)
    return client


class ActionButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"ns:(?P<data>[!-~]{1,96})",
):
    """A button whose custom id is `ns:` + the action's payload."""

    def __init__(
        self,
        data: str,
        *,
        label: str = "…",
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
        row: int | None = None,
    ) -> None:
        button: discord.ui.Button[discord.ui.View] = discord.ui.Button(
            label=clip(label, LABEL_LIMIT), style=style, custom_id=f"ns:{data}"
        )
        super().__init__(button, row=row)
        self.data = data

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: Any,
        /,
    ) -> ActionButton:
        label = getattr(item, "label", None) or "…"
        style = getattr(item, "style", discord.ButtonStyle.secondary)
        return cls(str(match["data"]), label=label, style=style)

    async def callback(self, interaction: discord.Interaction) -> None:
        await _presses(interaction).on_action(interaction, self.data)


class ActionMenu(
    discord.ui.DynamicItem[discord.ui.Select[discord.ui.View]],
    template=r"ns-menu:(?P<kind>save|style):(?P<n>[0-9])",
):
    """The "⭐ save…" multi-select, or the style menu; the options' values are payloads."""

    def __init__(self, kind: str, n: int, select: discord.ui.Select[discord.ui.View]) -> None:
        select.custom_id = f"ns-menu:{kind}:{n}"
        super().__init__(select, row=select.row)
        self.kind = kind

    @classmethod
    def of(cls, row: Row, n: int, at: int) -> ActionMenu:
        save = row.kind is RowKind.SAVE_MENU
        options = [
            discord.SelectOption(label=clip(a.label, OPTION_LIMIT), value=a.data)
            for a in row.actions
        ]
        select: discord.ui.Select[discord.ui.View] = discord.ui.Select(
            custom_id="ns-menu:x:0",
            placeholder="⭐ save…" if save else "🎲 the same in another style…",
            min_values=1,
            max_values=len(options) if save else 1,
            options=options,
            row=at,
        )
        return cls("save" if save else "style", n, select)

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: Any,
        /,
    ) -> ActionMenu:
        assert isinstance(item, discord.ui.Select)
        return cls(str(match["kind"]), int(match["n"]), item)

    async def callback(self, interaction: discord.Interaction) -> None:
        await _presses(interaction).on_menu(interaction, self.kind, list(self.item.values))


def view_for(reply: Reply) -> discord.ui.View | None:
    """The reply's actions as buttons and menus, laid out within Discord's limits."""
    if not reply.actions:
        return None
    view = discord.ui.View(timeout=None)
    menus = {RowKind.SAVE_MENU: 0, RowKind.STYLE_MENU: 0}
    for at, row in enumerate(rows(reply.actions)):
        if row.kind is RowKind.BUTTONS:
            for a in row.actions:
                style = _BUTTON_STYLES.get(a.kind, discord.ButtonStyle.secondary)
                view.add_item(ActionButton(a.data, label=a.caption, style=style, row=at))
        else:
            view.add_item(ActionMenu.of(row, menus[row.kind], at))
            menus[row.kind] += 1
    return view


def _escaped(text: str) -> str:
    return escape_markdown(text, as_needed=True)


def message_parts(reply: Reply) -> tuple[dict[str, Any], list[str]]:
    """The first message's arguments (content or embed, view, file), and any further pieces of
    a text longer than one message."""
    kwargs: dict[str, Any] = {}
    more: list[str] = []
    # A reply is plain text, and part of it may be a user's (a typed name, a note): Discord must
    # not read it as markdown, so "[Click](https://…)" never becomes a masked link.
    plain = replace(reply, text=_escaped(reply.text), notes=tuple(map(_escaped, reply.notes)))
    shape = names_embed(plain)
    if shape is not None:
        embed = discord.Embed(description=shape.description, colour=EMBED_COLOUR)
        embed.add_field(name="Settings", value=shape.settings)
        embed.set_footer(text=shape.footer)
        kwargs["embed"] = embed
    else:
        first, *more = chunks(plain.plain)
        kwargs["content"] = first
    view = view_for(reply)
    if view is not None:
        kwargs["view"] = view
    if reply.file is not None:
        kwargs["file"] = discord.File(io.BytesIO(reply.file.content), reply.file.filename)
    return kwargs, more


async def respond(
    interaction: discord.Interaction,
    reply: Reply,
    *,
    edit: bool = False,
    deferred_public: bool = False,
) -> None:
    """Answer an interaction (or follow up a deferred one); private replies are ephemeral."""
    kwargs, more = message_parts(reply)
    response = interaction.response
    if edit:
        kwargs.pop("file", None)
        kwargs.setdefault("view", None)  # a page without buttons loses the old ones
    if not response.is_done():
        if edit:
            await response.edit_message(**kwargs)
        else:
            await response.send_message(**kwargs, ephemeral=reply.private)
    elif edit:
        await interaction.edit_original_response(**kwargs)
    else:
        if deferred_public and reply.private:
            # Deferred as a public "thinking…", but the answer is private: drop the public one.
            with contextlib.suppress(discord.HTTPException):
                await interaction.delete_original_response()
        await interaction.followup.send(**kwargs, ephemeral=reply.private)
    for piece in more:
        await interaction.followup.send(piece, ephemeral=reply.private)


async def send_to_channel(message: discord.Message, reply: Reply) -> bool:
    """Answer a text command in its channel, as a reply to it; False when Discord refused it
    (discord.py has retried what can be)."""
    kwargs, more = message_parts(reply)
    reference = message.to_reference(fail_if_not_exists=False)
    try:
        await message.channel.send(**kwargs, reference=reference)
        for piece in more:
            await message.channel.send(piece)
    except discord.HTTPException as exc:
        log.warning("discord refused a reply (%s)", exc.status)
        return False
    return True
