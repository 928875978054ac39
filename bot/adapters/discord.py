"""Discord, through discord.py. A handler pulls out (user, server, options or text), calls the
service, renders the Reply (an embed for names, buttons and menus for its actions) and answers.

- Slash commands (an app-command tree) with typed options; the options meet the grammar's
  `name_options`, the same validation as a text command. Commands in the tree are answered
  whether or not they were synced; syncing is deliberate (`!sync` by the owner, or
  `namesmith discord-sync`).
- Text commands with a prefix (`!name Eld 0.7`) where the application has the message-content
  intent; without it the bot does not ask for the intent and the slash commands still work.
- Buttons and menus are dynamic items keyed by their custom id, the state behind them in the
  database: they keep working after a restart, for whoever presses them.
- Every interaction is answered within Discord's 3 seconds: a reply ready within `DEFER_AFTER`
  goes out as the answer itself, anything slower is deferred first and followed up.
- Admins retrain a style with `/retrain` (a `file` attachment option, or `corpus`), or
  `!retrain elf` with the file attached to the message. The answers to the admin are ephemeral;
  the progress message and the result (with its PNG) are posted in the channel asked from, since
  an interaction's token expires after 15 minutes and a training may run longer.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from collections.abc import Awaitable, Callable, Collection, Hashable
from dataclasses import replace
from typing import Any

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.ext import commands

from bot import texts
from bot.adapters.discord_layout import (
    CONTENT_LIMIT,
    LABEL_LIMIT,
    OPTION_LIMIT,
    Row,
    RowKind,
    chunks,
    clip,
    names_embed,
    rows,
)
from bot.config import Config
from bot.errors import FatalError
from bot.grammar import (
    COMMANDS,
    MAX_COUNT,
    RETRAIN_ACTIONS,
    Command,
    ParseError,
    name_options,
    parse_retrain,
)
from bot.ordering import InOrder
from bot.reply import Act, Context, Reply, Upload
from bot.service import Service
from engine.corpora import corpus as corpora
from engine.limits import MAX_AFFIX_LEN, TEMPERATURE_MAX, TEMPERATURE_MIN

log = logging.getLogger(__name__)

DEFER_AFTER = 1.5  # seconds a reply may take before the interaction is deferred
START_ATTEMPTS = 6  # tries to reach the API (and the gateway) at start before giving up
DRAIN_SECONDS = 10.0  # at stop, how long replies in progress may take to finish
EMBED_COLOUR = discord.Colour(0x8E6C3A)
_BUTTON_STYLES = {
    Act.MORE: discord.ButtonStyle.primary,
    Act.CONFIRM: discord.ButtonStyle.danger,
}

# --- the bot ---------------------------------------------------------------------------------


class Namesmith(commands.AutoShardedBot):
    """The bot: the slash-command tree, the text prefix, the dynamic buttons and menus."""

    def __init__(
        self,
        service: Service | None,
        config: Config,
        *,
        message_content: bool = False,
        guild_ready_timeout: float = 2.0,
    ) -> None:
        intents = discord.Intents.none()
        intents.guilds = True  # the server's roles, for the admin role check
        intents.guild_messages = intents.dm_messages = True
        intents.message_content = message_content
        super().__init__(
            command_prefix=config.discord_prefix,
            intents=intents,
            help_command=None,
            case_insensitive=True,
            shard_count=config.discord_shards,
            # discord.py's stub says list[int], its code takes None for "all of them"
            shard_ids=config.discord_shard_ids or None,  # type: ignore[arg-type]
            max_messages=None,
            chunk_guilds_at_startup=False,
            guild_ready_timeout=guild_ready_timeout,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self._service = service
        self.config = config
        self._gateway_url = config.discord_gateway_url
        self._launch_tries: dict[int, int] = {}
        self._inflight: set[asyncio.Task[Any]] = set()
        self._order = InOrder()  # one user's commands, slash or text, one at a time in order
        self.ready = asyncio.Event()  # set once every shard is connected and its servers known

    @property
    def service(self) -> Service:
        if self._service is None:  # a bot built only to sync commands
            raise RuntimeError("this bot has no service")
        return self._service

    async def setup_hook(self) -> None:
        for command in SLASH_COMMANDS:
            self.tree.add_command(command)
        self.tree.error(_on_tree_error)
        self.add_command(sync_command)
        self.add_dynamic_items(ActionButton, ActionMenu)

    # --- sharding and start-up -----------------------------------------------------------

    async def launch_shards(self) -> None:
        if self._gateway_url is not None and self.shard_count is None:
            # Our own gateway URL, but Discord's recommended shard count: with a count set,
            # discord.py connects to DEFAULT_GATEWAY, which `configure_sdk` pointed at ours.
            self.shard_count, _, _ = await self.http.get_bot_gateway()
        await super().launch_shards()

    async def launch_shard(
        self, gateway: yarl.URL, shard_id: int, *, initial: bool = False
    ) -> None:
        # discord.py retries a shard that cannot connect forever, 5 s apart; a bot that never
        # reaches the gateway should say so and stop instead.
        tries = self._launch_tries[shard_id] = self._launch_tries.get(shard_id, 0) + 1
        if tries > START_ATTEMPTS:
            raise FatalError(
                f"cannot reach the Discord gateway after {START_ATTEMPTS} tries; check the "
                "network or NAMESMITH_DISCORD_GATEWAY_URL"
            )
        await super().launch_shard(gateway, shard_id, initial=initial)

    async def on_ready(self) -> None:
        user = self.user
        log.info("discord: connected as %s, %d shard(s)", user, self.shard_count or 1)
        self.ready.set()

    # --- work in progress ----------------------------------------------------------------

    def track(self) -> None:
        """Count the running handler as a reply in progress, so a stop waits for it."""
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)

    async def drain(self) -> None:
        """Wait (up to DRAIN_SECONDS) for the replies in progress."""
        if self._inflight:
            await asyncio.wait(set(self._inflight), timeout=DRAIN_SECONDS)

    # --- text commands -------------------------------------------------------------------

    async def on_message(self, message: discord.Message) -> None:
        """`!name Eld 0.7`: the text grammar, after the prefix; `!sync` is the owner's."""
        prefix = self.config.discord_prefix
        if message.author.bot:
            return
        if not message.content.startswith(prefix):
            # without the message-content intent, a server message's content is "" (and it
            # has no attachments); a file alone may be the one a pending /retrain asked for
            if message.attachments:
                await self._upload_alone(message)
            return
        body = message.content[len(prefix) :]
        word = body.split(maxsplit=1)[0].casefold() if body.strip() else ""
        if word == "sync":
            await self.process_commands(message)
            return
        if not word or body[:1].isspace():
            return
        self.track()
        ctx = _message_context(self, message, self.config.discord_admin_role)
        reply = await self._in_turn(ctx.user, self.service.on_text(ctx, "/" + body))
        if reply is not None:
            await send_to_channel(message, reply)

    async def _upload_alone(self, message: discord.Message) -> None:
        self.track()
        ctx = _message_context(self, message, self.config.discord_admin_role)
        reply = await self.service.on_upload(ctx)
        if reply is not None:
            await send_to_channel(message, reply)

    async def on_command_error(
        self, ctx: commands.Context[Any], error: commands.CommandError, /
    ) -> None:
        if isinstance(error, commands.NotOwner):
            await ctx.send("Only the bot's owner can sync its commands.")
        elif isinstance(error, commands.UserInputError):
            await ctx.send(f"Usage: {self.config.discord_prefix}sync [here]")
        else:
            log.error("discord text command failed", exc_info=error)

    # --- interactions --------------------------------------------------------------------

    async def serve(
        self,
        interaction: discord.Interaction,
        call: Callable[[Context], Awaitable[Reply | None]],
        *,
        private: bool = False,
        edit: bool = False,
        upload: Upload | None = None,
    ) -> None:
        """Ask the service and answer the interaction within Discord's 3 seconds.

        `private` says how to defer when the answer is slow (the answer's own flag decides
        otherwise); `edit` answers a button by editing its message (the favourites pages);
        `upload` is a file attached to the command."""
        self.track()
        ctx = _interaction_context(interaction, self.config.discord_admin_role, upload)
        work = asyncio.ensure_future(self._in_turn(ctx.user, call(ctx)))
        done, _ = await asyncio.wait({work}, timeout=DEFER_AFTER)
        deferred_public = False
        if not done:
            try:
                if edit:
                    await interaction.response.defer()
                else:
                    await interaction.response.defer(ephemeral=private, thinking=True)
                    deferred_public = not private
            except discord.HTTPException as exc:
                log.warning("discord: could not defer an interaction (%s)", exc)
        reply = await work
        if reply is None:  # over the rate limit and already told once: still answer, privately
            limiter = self.service.limiter
            reply = Reply(texts.slow_down(limiter.limit, limiter.period), private=True)
        await respond(interaction, reply, edit=edit, deferred_public=deferred_public)

    async def _in_turn(self, user: str, work: Awaitable[Reply | None]) -> Reply | None:
        """One user's interactions reach the service one at a time, in the order they came."""
        async with self._order.turn(user):
            return await work

    async def on_action(self, interaction: discord.Interaction, data: str) -> None:
        """A button: its custom id carries the action's payload."""
        kind = data.split(":", 1)[0]
        await self.serve(
            interaction,
            lambda ctx: self.service.on_button(ctx, data),
            private=kind in (Act.SAVE, Act.PAGE, Act.CONFIRM),
            edit=kind == Act.PAGE,
        )

    async def on_menu(self, interaction: discord.Interaction, kind: str, values: list[str]) -> None:
        """A menu choice: the "⭐ save…" menu saves every name chosen; the style menu asks
        again in the style chosen."""
        if kind == "save":

            async def save_all(ctx: Context) -> Reply | None:
                answers = []
                for value in values:
                    if value.startswith(f"{Act.SAVE}:"):
                        answers.append(await self.service.on_button(ctx, value))
                said = [a.text for a in answers if a is not None]
                return Reply("\n".join(said), private=True) if said else None

            await self.serve(interaction, save_all, private=True)
        elif values and values[0].startswith(f"{Act.STYLE}:"):
            value = values[0]
            await self.serve(interaction, lambda ctx: self.service.on_button(ctx, value))
        else:  # not a choice this menu offers: never leave an interaction unanswered
            await respond(interaction, Reply(texts.EXPIRED, private=True))

    async def answer_command(
        self,
        interaction: discord.Interaction,
        build: Callable[[Collection[str]], Command],
        *,
        private: bool = False,
        only_private: bool = False,
        upload: Upload | None = None,
    ) -> None:
        """A slash command: typed options → the grammar's Command → the service.
        `only_private` makes every answer ephemeral (an admin's commands)."""
        try:
            command = build(self.service.engine.styles.keys())
        except ParseError as exc:
            self.track()
            await respond(interaction, Reply(f"⚠️ {exc}", private=True))
            return

        async def call(ctx: Context) -> Reply | None:
            reply = await self.service.on_command(ctx, command)
            return replace(reply, private=True) if reply is not None and only_private else reply

        await self.serve(interaction, call, private=private or only_private, upload=upload)


def _bot(interaction: discord.Interaction) -> Namesmith:
    client = interaction.client
    assert isinstance(client, Namesmith)
    return client


class _ChannelNotifier:
    """Messages a long job (a retrain) posts in the channel it was asked from, and edits of
    them: a channel message outlives the 15 minutes of an interaction's token. Best effort: a
    channel the bot may not post in is logged, never raised."""

    def __init__(self, channel: discord.PartialMessageable) -> None:
        self.channel = channel

    async def send(self, reply: Reply) -> Hashable:
        kwargs, more = message_parts(reply)
        try:
            sent = await self.channel.send(**kwargs)
            for piece in more:
                await self.channel.send(piece)
        except discord.HTTPException as exc:
            log.warning("discord: cannot post in channel %s (HTTP %s)", self.channel.id, exc.status)
            return None
        return sent.id

    async def edit(self, handle: Hashable, text: str) -> None:
        if not isinstance(handle, int):
            return
        try:
            await self.channel.get_partial_message(handle).edit(content=clip(text, CONTENT_LIMIT))
        except discord.HTTPException as exc:  # deleted meanwhile, or rate limited: no matter
            log.info("discord: progress message not edited (HTTP %s)", exc.status)


def _notifier(
    client: discord.Client, channel_id: int | None, guild_id: int | None
) -> _ChannelNotifier | None:
    if channel_id is None:
        return None
    return _ChannelNotifier(client.get_partial_messageable(channel_id, guild_id=guild_id))


def _upload(attachment: discord.Attachment) -> Upload:
    """An attached file, downloaded only once its declared size was found acceptable."""
    return Upload(attachment.filename, attachment.size, attachment.read)


def _interaction_context(
    interaction: discord.Interaction, admin_role: str | None, upload: Upload | None = None
) -> Context:
    user = f"dc:{interaction.user.id}"
    notify = _notifier(interaction.client, interaction.channel_id, interaction.guild_id)
    if interaction.guild_id is None:
        return Context(user, None, "discord", upload=upload, notify=notify)
    # Manage Server comes with the interaction (the member's resolved permissions): no REST call.
    manages = interaction.permissions.manage_guild
    member = interaction.user

    async def chat_admin() -> bool:
        return manages or _has_role(member, admin_role)

    return Context(
        user, f"dc:{interaction.guild_id}", "discord", chat_admin, upload=upload, notify=notify
    )


def _message_context(
    client: discord.Client, message: discord.Message, admin_role: str | None
) -> Context:
    user = f"dc:{message.author.id}"
    upload = _upload(message.attachments[0]) if message.attachments else None
    guild_id = message.guild.id if message.guild is not None else None
    notify = _notifier(client, message.channel.id, guild_id)
    if message.guild is None:
        return Context(user, None, "discord", upload=upload, notify=notify)
    member = message.author

    async def chat_admin() -> bool:
        if not isinstance(member, discord.Member):
            return False
        return member.guild_permissions.manage_guild or _has_role(member, admin_role)

    return Context(
        user, f"dc:{message.guild.id}", "discord", chat_admin, upload=upload, notify=notify
    )


def _has_role(member: discord.User | discord.Member, role: str | None) -> bool:
    if role is None or not isinstance(member, discord.Member):
        return False
    return any(role in (str(r.id), r.name) for r in member.roles)


async def _on_tree_error(
    interaction: discord.Interaction, error: app_commands.AppCommandError
) -> None:
    """The one place an unexpected failure in a slash command ends: a log line, an apology."""
    log.error("discord command failed", exc_info=error)
    with contextlib.suppress(discord.HTTPException):
        await respond(interaction, Reply(texts.SORRY, private=True))


# --- rendering -------------------------------------------------------------------------------


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
        await _bot(interaction).on_action(interaction, self.data)


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
        await _bot(interaction).on_menu(interaction, self.kind, list(self.item.values))


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


def message_parts(reply: Reply) -> tuple[dict[str, Any], list[str]]:
    """The first message's arguments (content or embed, view, file), and any further pieces of
    a text longer than one message."""
    kwargs: dict[str, Any] = {}
    more: list[str] = []
    shape = names_embed(reply)
    if shape is not None:
        embed = discord.Embed(description=shape.description, colour=EMBED_COLOUR)
        embed.add_field(name="Settings", value=shape.settings)
        embed.set_footer(text=shape.footer)
        kwargs["embed"] = embed
    else:
        first, *more = chunks(reply.text)
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


async def send_to_channel(message: discord.Message, reply: Reply) -> None:
    """Answer a text command in its channel, as a reply to it."""
    kwargs, more = message_parts(reply)
    reference = message.to_reference(fail_if_not_exists=False)
    try:
        await message.channel.send(**kwargs, reference=reference)
        for piece in more:
            await message.channel.send(piece)
    except discord.HTTPException as exc:
        log.warning("discord refused a reply (%s)", exc.status)


# --- slash commands --------------------------------------------------------------------------


async def _style_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    styles = _bot(interaction).service.engine.styles
    word = current.casefold().strip()
    found = [(s, f"{s} — {m.description}" if m.description else s) for s, m in styles.items()]
    return [
        app_commands.Choice(name=clip(text, 100), value=s) for s, text in sorted(found) if word in s
    ][:25]


async def _gender_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    styles = _bot(interaction).service.engine.styles
    chosen = str(getattr(interaction.namespace, "style", "") or "").casefold()
    models = [styles[chosen]] if chosen in styles else list(styles.values())
    labels = [*sorted({label for m in models for label in m.labels}), "any"]
    word = current.casefold().strip()
    return [app_commands.Choice(name=g, value=g) for g in labels if g.startswith(word)][:25]


def _fields(**values: object) -> dict[str, object]:
    return values


@app_commands.command(name="name", description="Invent names")
@app_commands.describe(
    prefix="names start with this, e.g. Eld",
    temperature=f"{TEMPERATURE_MIN:g} (safe) to {TEMPERATURE_MAX:g} (wild); 1 is the default",
    count=f"how many names, 1 to {MAX_COUNT}",
    style="the kind of names: elf, dwarf, english…",
    gender="female, male or any (for styles that have genders)",
    ends="names end with this, e.g. iel",
    contains="names contain this, e.g. ar",
    length="a length or a range, e.g. 6 or 4-8",
    new="only names that are not in the training list",
    full="a given name and a family name (styles with family names)",
)
@app_commands.autocomplete(style=_style_choices, gender=_gender_choices)
async def name_command(
    interaction: discord.Interaction,
    prefix: app_commands.Range[str, 1, MAX_AFFIX_LEN] | None = None,
    temperature: app_commands.Range[float, TEMPERATURE_MIN, TEMPERATURE_MAX] | None = None,
    count: app_commands.Range[int, 1, MAX_COUNT] | None = None,
    style: str | None = None,
    gender: str | None = None,
    ends: app_commands.Range[str, 1, MAX_AFFIX_LEN] | None = None,
    contains: app_commands.Range[str, 1, MAX_AFFIX_LEN] | None = None,
    length: app_commands.Range[str, 1, 7] | None = None,
    new: bool | None = None,
    full: bool | None = None,
) -> None:
    fields = _fields(
        prefix=prefix, temperature=temperature, count=count, style=style, gender=gender,
        ends=ends, contains=contains, length=length, new=new, full=full,
    )  # fmt: skip
    await _bot(interaction).answer_command(
        interaction, lambda styles: Command("name", (), name_options(fields, styles))
    )


@app_commands.command(name="styles", description="The styles I know, with sample names")
async def styles_command(interaction: discord.Interaction) -> None:
    await _bot(interaction).answer_command(interaction, lambda styles: Command("styles"))


@app_commands.command(name="rate", description="How name-like a name is")
@app_commands.describe(name="the name to rate", style="rate it as this style")
@app_commands.autocomplete(style=_style_choices)
async def rate_command(
    interaction: discord.Interaction,
    name: app_commands.Range[str, 1, 64],
    style: str | None = None,
) -> None:
    def build(styles: Collection[str]) -> Command:
        chosen = name_options({"style": style}, styles).style
        return Command("rate", (*name.split(), *([chosen] if chosen else [])))

    await _bot(interaction).answer_command(interaction, build)


@app_commands.command(name="fav", description="Save a name to your favourites")
@app_commands.describe(name="the name to save")
async def fav_command(
    interaction: discord.Interaction, name: app_commands.Range[str, 1, 64]
) -> None:
    await _bot(interaction).answer_command(
        interaction, lambda styles: Command("fav", tuple(name.split())), private=True
    )


@app_commands.command(name="favs", description="Your favourites, newest first")
@app_commands.describe(page="which page (10 names a page)")
async def favs_command(
    interaction: discord.Interaction, page: app_commands.Range[int, 1, 9999] | None = None
) -> None:
    args = () if page is None else (str(page),)
    await _bot(interaction).answer_command(
        interaction, lambda styles: Command("favs", args), private=True
    )


@app_commands.command(name="unfav", description="Forget a favourite (or all of them)")
@app_commands.describe(name="the name to forget, or all")
async def unfav_command(
    interaction: discord.Interaction, name: app_commands.Range[str, 1, 64]
) -> None:
    await _bot(interaction).answer_command(
        interaction, lambda styles: Command("unfav", tuple(name.split())), private=True
    )


@app_commands.command(name="export", description="Your favourites as a text file")
async def export_command(interaction: discord.Interaction) -> None:
    await _bot(interaction).answer_command(
        interaction, lambda styles: Command("export"), private=True
    )


@app_commands.command(name="settings", description="Show or set your defaults (or the server's)")
@app_commands.describe(
    style="your default style",
    temperature=f"your default temperature, {TEMPERATURE_MIN:g} to {TEMPERATURE_MAX:g}",
    count=f"your default number of names, 1 to {MAX_COUNT}",
    gender="your default gender: female, male or any",
    new="only names not in the training list, by default",
    server="the server's defaults instead of yours (needs Manage Server)",
)
@app_commands.autocomplete(style=_style_choices, gender=_gender_choices)
async def settings_command(
    interaction: discord.Interaction,
    style: str | None = None,
    temperature: app_commands.Range[float, TEMPERATURE_MIN, TEMPERATURE_MAX] | None = None,
    count: app_commands.Range[int, 1, MAX_COUNT] | None = None,
    gender: str | None = None,
    new: bool | None = None,
    server: bool = False,
) -> None:
    fields = _fields(style=style, temperature=temperature, count=count, gender=gender, new=new)
    args = ("chat",) if server else ()
    await _bot(interaction).answer_command(
        interaction,
        lambda styles: Command("settings", args, name_options(fields, styles)),
        private=True,
    )


@app_commands.command(name="reset", description="Forget your defaults")
async def reset_command(interaction: discord.Interaction) -> None:
    await _bot(interaction).answer_command(
        interaction, lambda styles: Command("reset"), private=True
    )


@app_commands.command(name="help", description="All commands, or one in detail")
@app_commands.describe(command="the command to explain")
@app_commands.choices(
    command=[app_commands.Choice(name=c, value=c) for c in COMMANDS if c in texts.HELP]
)
async def help_command(interaction: discord.Interaction, command: str | None = None) -> None:
    args = () if command is None else (command,)
    await _bot(interaction).answer_command(interaction, lambda styles: Command("help", args))


@app_commands.command(name="stats", description="Usage figures (the bot's admins)")
async def stats_command(interaction: discord.Interaction) -> None:
    await _bot(interaction).answer_command(
        interaction, lambda styles: Command("stats"), private=True
    )


async def _corpus_choices(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    word = current.casefold().strip()
    return [
        app_commands.Choice(name=clip(f"{name} — {about}", 100), value=name)
        for name, (about, _) in sorted(corpora.BUILTIN.items())
        if word in name
    ][:25]


def retrain_command_of(
    action: str,
    style: str | None,
    *,
    corpus: str | None = None,
    seconds: int | None = None,
    force: bool = False,
) -> Command:
    """/retrain's options as the words of `/retrain …`, validated by the grammar's own parser."""
    words = [action] if action in RETRAIN_ACTIONS else []
    if style is not None:
        words.append(style.strip())
    elif not words:
        raise ParseError(
            "give the style to train, e.g. /retrain style:elf file:names.txt, or "
            "/retrain style:elf corpus:elf; /retrain action:status shows a training"
        )
    words += [f"corpus={corpus.strip()}"] if corpus is not None else []
    words += [f"seconds={seconds}"] if seconds is not None else []
    words += ["force"] if force else []
    return Command("retrain", tuple(words), retrain=parse_retrain(words))


@app_commands.command(name="retrain", description="Train a style on a names file (bot admins)")
@app_commands.describe(
    style="the style to train (a new name makes a new style)",
    file="a .txt file: one name per line, optionally name<TAB>label; at most 2 MB",
    corpus="train on a built-in corpus instead of a file",
    seconds="how long to train (the default when not given)",
    force="adopt the new model even if it is not better",
    action="start (the default), status of the running training, or cancel it",
)
@app_commands.choices(
    action=[app_commands.Choice(name=a, value=a) for a in ("start", *RETRAIN_ACTIONS)]
)
@app_commands.autocomplete(style=_style_choices, corpus=_corpus_choices)
async def retrain_command(
    interaction: discord.Interaction,
    style: app_commands.Range[str, 1, 32] | None = None,
    file: discord.Attachment | None = None,
    corpus: app_commands.Range[str, 1, 32] | None = None,
    seconds: app_commands.Range[int, 10, 9999] | None = None,
    force: bool = False,
    action: str = "start",
) -> None:
    upload = _upload(file) if file is not None else None
    await _bot(interaction).answer_command(
        interaction,
        lambda styles: retrain_command_of(
            action, style, corpus=corpus, seconds=seconds, force=force
        ),
        only_private=True,
        upload=upload,
    )


@app_commands.command(name="rollback", description="Serve a style's previous model (bot admins)")
@app_commands.describe(style="the style to roll back")
@app_commands.autocomplete(style=_style_choices)
async def rollback_command(
    interaction: discord.Interaction, style: app_commands.Range[str, 1, 32]
) -> None:
    await _bot(interaction).answer_command(
        interaction, lambda styles: Command("rollback", tuple(style.split())), only_private=True
    )


@app_commands.command(name="audit", description="Recent admin actions (bot admins)")
async def audit_command(interaction: discord.Interaction) -> None:
    await _bot(interaction).answer_command(
        interaction, lambda styles: Command("audit"), only_private=True
    )


SLASH_COMMANDS: tuple[app_commands.Command[Any, Any, None], ...] = (
    name_command, styles_command, rate_command, fav_command, favs_command, unfav_command,
    export_command, settings_command, reset_command, help_command, stats_command,
    retrain_command, rollback_command, audit_command,
)  # fmt: skip


@commands.command(name="sync")
@commands.is_owner()
async def sync_command(ctx: commands.Context[Any], where: str = "") -> None:
    """`!sync` pushes the slash commands to every server; `!sync here` to this one, at once."""
    if where not in ("", "here"):
        raise commands.BadArgument(where)
    guild = ctx.guild if where == "here" else None
    if where == "here" and guild is None:
        await ctx.send("Use `sync here` in a server, or `sync` for everywhere.")
        return
    bot = ctx.bot
    assert isinstance(bot, Namesmith)
    if guild is not None:
        bot.tree.copy_global_to(guild=guild)
    try:
        synced = await bot.tree.sync(guild=guild)
    except discord.HTTPException as exc:
        await ctx.send(_sync_refused(exc))
        return
    where_to = "to this server" if guild else "everywhere (Discord may take a while to show them)"
    await ctx.send(f"Synced {len(synced)} slash commands {where_to}.")


# --- running ---------------------------------------------------------------------------------


def configure_sdk(config: Config) -> None:
    """Point discord.py at the configured REST base and gateway (a proxy, or a test's fake)."""
    discord.http.Route.BASE = config.discord_api_url
    # The bot never joins voice: no warnings at every start about voice libraries not installed.
    discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
    if config.discord_gateway_url is not None:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(config.discord_gateway_url)


async def login(client: discord.Client, token: str) -> None:
    """Log in (REST: who am I, the application), retried while the API cannot be reached."""
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            await client.login(token)
            return
        except discord.LoginFailure:
            raise FatalError(
                "Discord rejected the bot token (NAMESMITH_DISCORD_TOKEN); "
                "check it in the Developer Portal"
            ) from None
        except (aiohttp.ClientError, OSError, TimeoutError, discord.DiscordServerError) as exc:
            await client.http.close()
            if attempt == START_ATTEMPTS:
                raise FatalError(
                    f"cannot reach the Discord API after {attempt} tries ({type(exc).__name__}); "
                    "check the network or NAMESMITH_DISCORD_API_URL"
                ) from None
            delay = min(2.0**attempt, 30.0)
            log.warning(
                "discord: API unreachable (%s), try %d of %d; again in %.0f s",
                type(exc).__name__, attempt, START_ATTEMPTS, delay,
            )  # fmt: skip
            await asyncio.sleep(delay)
        except discord.HTTPException as exc:
            raise FatalError(f"Discord refused to start the bot (HTTP {exc.status})") from None


async def message_content_allowed(token: str) -> bool:
    """Whether the application may read message content (its flags say so): only then does the
    bot ask for the intent, since asking without it makes Discord close the connection."""
    probe = discord.Client(intents=discord.Intents(guilds=True))  # REST only, never connects
    async with probe:
        await login(probe, token)
        flags = probe.application_flags
    return flags.gateway_message_content or flags.gateway_message_content_limited


async def run(
    service: Service,
    config: Config,
    stop: asyncio.Event,
    *,
    ready: asyncio.Event | None = None,
    guild_ready_timeout: float = 2.0,
) -> None:
    """Serve until `stop` is set, then let replies in progress finish and close the gateway.
    Raises FatalError when the token is rejected or Discord cannot be reached. `ready` is set
    once the bot is connected (tests wait for it)."""
    assert config.discord_token is not None
    token = config.discord_token.get_secret_value()
    configure_sdk(config)
    content = await message_content_allowed(token)
    if not content:
        log.info("discord: no message-content intent; text commands only in DMs and mentions")
    bot = Namesmith(
        service, config, message_content=content, guild_ready_timeout=guild_ready_timeout
    )
    if ready is not None:
        bot.ready = ready
    async with bot:
        await login(bot, token)
        connection = asyncio.create_task(bot.connect(reconnect=True), name="discord-gateway")
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({connection, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not connection.done():
            await bot.drain()
            await bot.close()
        try:
            await connection
        except FatalError:
            raise
        except discord.PrivilegedIntentsRequired:
            raise FatalError(
                "Discord refused the message-content intent; enable it for the bot in the "
                "Developer Portal, or turn it off there entirely"
            ) from None
        except discord.ConnectionClosed as exc:
            if exc.code == 4004:
                raise FatalError(
                    "Discord rejected the bot token while running (reset?); "
                    "set a valid NAMESMITH_DISCORD_TOKEN"
                ) from None
            raise FatalError(
                f"Discord closed the gateway (code {exc.code}); check NAMESMITH_DISCORD_SHARDS "
                "and NAMESMITH_DISCORD_SHARD_IDS"
            ) from None
        except discord.GatewayNotFound:
            raise FatalError(
                "cannot reach the Discord gateway; check the network or NAMESMITH_DISCORD_API_URL"
            ) from None
    if not stop.is_set():
        raise FatalError("the Discord connection ended unexpectedly")
    log.info("discord: gateway closed")


async def sync_commands(config: Config, guild: int | None = None) -> int:
    """Push the slash commands to Discord, everywhere or to one server; how many were synced.
    Deliberate, never at start: Discord limits how often commands may be changed."""
    assert config.discord_token is not None
    configure_sdk(config)
    bot = Namesmith(None, config)
    async with bot:
        await login(bot, config.discord_token.get_secret_value())
        target = None if guild is None else discord.Object(id=guild)
        if target is not None:
            bot.tree.copy_global_to(guild=target)
        try:
            return len(await bot.tree.sync(guild=target))
        except discord.HTTPException as exc:
            raise FatalError(_sync_refused(exc)) from None


def _sync_refused(exc: discord.HTTPException) -> str:
    return (
        f"Discord refused the commands (HTTP {exc.status}: {exc.text[:200]}); was the bot "
        "invited with the applications.commands scope, and is the server id right?"
    )
