"""The bot: a discord.py AutoShardedBot that asks the service and answers within Discord's
rules. Slash commands reach it through `answer_command` (see `commands`), text commands through
`on_message`, buttons and menus through `on_action` and `on_menu` (see `render`).

- Every interaction is answered within Discord's 3 seconds: a reply ready within `DEFER_AFTER`
  goes out as the answer itself, anything slower is deferred first and followed up.
- One user's commands, slash or text, reach the service one at a time, in the order they came.
- Text commands with a prefix (`!name Eld 0.7`) where the application has the message-content
  intent; without it the bot does not ask for the intent and the slash commands still work.
- A long job (a retrain) posts its progress and result in the channel it was asked from, since
  an interaction's token expires after 15 minutes and a training may run longer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Hashable
from dataclasses import replace
from typing import Any

import discord
import yarl
from discord.ext import commands

from bot import actions, texts
from bot.actions import Act
from bot.adapters.discord.layout import CONTENT_LIMIT, clip
from bot.adapters.discord.render import (
    ActionButton,
    ActionMenu,
    message_parts,
    respond,
    send_to_channel,
)
from bot.config import Config
from bot.errors import FatalError
from bot.grammar import ParseError
from bot.metrics import Metrics
from bot.ordering import InOrder
from bot.reply import Context, Reply, Upload
from bot.requests import Request
from bot.service import Service

log = logging.getLogger(__name__)

PLATFORM = "discord"
DEFER_AFTER = 1.5  # seconds a reply may take before the interaction is deferred
DRAIN_SECONDS = 10.0  # at stop, how long replies in progress may take to finish


class Namesmith(commands.AutoShardedBot):
    """The bot: the slash-command tree, the text prefix, the dynamic buttons and menus."""

    def __init__(
        self,
        service: Service | None,
        config: Config,
        *,
        start_attempts: int,
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
        self._start_attempts = start_attempts
        self._launch_tries: dict[int, int] = {}
        self._inflight: set[asyncio.Task[Any]] = set()
        self._order = InOrder()  # one user's commands, slash or text, one at a time in order
        self.ready = asyncio.Event()  # set once every shard is connected and its servers known
        self._shards_down: set[int] = set()  # shards that lost the gateway since

    @property
    def service(self) -> Service:
        if self._service is None:  # a bot built only to sync commands
            raise RuntimeError("this bot has no service")
        return self._service

    async def setup_hook(self) -> None:
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
        if tries > self._start_attempts:
            raise FatalError(
                f"cannot reach the Discord gateway after {self._start_attempts} tries; check the "
                "network or NAMESMITH_DISCORD_GATEWAY_URL"
            )
        await super().launch_shard(gateway, shard_id, initial=initial)

    async def on_ready(self) -> None:
        user = self.user
        log.info("discord: connected as %s, %d shard(s)", user, self.shard_count or 1)
        self.ready.set()
        self._report()

    # --- readiness: connected once ready, and while no shard has lost the gateway ----------

    async def on_shard_disconnect(self, shard_id: int) -> None:
        self._shards_down.add(shard_id)
        self._report()

    async def on_shard_connect(self, shard_id: int) -> None:
        self._shards_down.discard(shard_id)
        self._report()

    async def on_shard_resumed(self, shard_id: int) -> None:
        self._shards_down.discard(shard_id)
        self._report()

    async def close(self) -> None:
        await super().close()
        self._report()  # stopped, or failed: not connected

    def _report(self) -> None:
        if self._service is not None:  # a bot built only to sync commands serves nothing
            up = self.ready.is_set() and not self._shards_down and not self.is_closed()
            self._service.metrics.connected(PLATFORM, up)

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
            await self._to_channel(message, reply)

    async def _upload_alone(self, message: discord.Message) -> None:
        self.track()
        ctx = _message_context(self, message, self.config.discord_admin_role)
        reply = await self._in_turn(ctx.user, self.service.on_file(ctx, None))
        if reply is not None:
            await self._to_channel(message, reply)

    async def _to_channel(self, message: discord.Message, reply: Reply) -> None:
        if not await send_to_channel(message, reply):
            self.service.metrics.send_dropped(PLATFORM)

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
        if reply is None:  # not something the service answers (a stray upload): say so
            reply = Reply(texts.EXPIRED, private=True)
        try:
            await respond(interaction, reply, edit=edit, deferred_public=deferred_public)
        except discord.HTTPException:  # discord.py retried what can be; the error handler logs
            self.service.metrics.send_dropped(PLATFORM)
            raise

    async def _in_turn(self, user: str, work: Awaitable[Reply | None]) -> Reply | None:
        """One user's interactions reach the service one at a time, in the order they came."""
        async with self._order.turn(user):
            return await work

    async def on_action(self, interaction: discord.Interaction, data: str) -> None:
        """A button: its custom id carries the action's payload."""
        act = actions.act_of(data)
        await self.serve(
            interaction,
            lambda ctx: self.service.on_button(ctx, data),
            private=act in (Act.SAVE, Act.PAGE, Act.CONFIRM),
            edit=act is Act.PAGE,
        )

    async def on_menu(self, interaction: discord.Interaction, kind: str, values: list[str]) -> None:
        """A menu choice: the "⭐ save…" menu saves every name chosen; the style menu asks
        again in the style chosen."""
        if kind == "save":
            await self.serve(
                interaction, lambda ctx: self.service.on_buttons(ctx, values), private=True
            )
        elif values and actions.act_of(values[0]) is Act.STYLE:
            value = values[0]
            await self.serve(interaction, lambda ctx: self.service.on_button(ctx, value))
        else:  # not a choice this menu offers: never leave an interaction unanswered
            await respond(interaction, Reply(texts.EXPIRED, private=True))

    async def answer_command(
        self,
        interaction: discord.Interaction,
        build: Callable[[Collection[str]], Request],
        *,
        private: bool = False,
        only_private: bool = False,
        upload: Upload | None = None,
    ) -> None:
        """A slash command: typed options → a request, checked by the grammar's builders → the
        service. `only_private` makes every answer ephemeral (an admin's commands)."""
        try:
            request = build(self.service.styles().keys())
        except ParseError as exc:
            self.track()
            await respond(interaction, Reply(f"⚠️ {exc}", private=True))
            return

        async def call(ctx: Context) -> Reply | None:
            reply = await self.service.on_request(ctx, request)
            return replace(reply, private=True) if reply is not None and only_private else reply

        await self.serve(interaction, call, private=private or only_private, upload=upload)


class _ChannelNotifier:
    """Messages a long job (a retrain) posts in the channel it was asked from, and edits of
    them: a channel message outlives the 15 minutes of an interaction's token. Best effort: a
    channel the bot may not post in is logged, never raised."""

    def __init__(self, channel: discord.PartialMessageable, metrics: Metrics | None) -> None:
        self.channel = channel
        self.metrics = metrics

    async def send(self, reply: Reply) -> Hashable:
        kwargs, more = message_parts(reply)
        try:
            sent = await self.channel.send(**kwargs)
            for piece in more:
                await self.channel.send(piece)
        except discord.HTTPException as exc:
            log.warning("discord: cannot post in channel %s (HTTP %s)", self.channel.id, exc.status)
            if self.metrics is not None:
                self.metrics.send_dropped(PLATFORM)
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
    metrics = client.service.metrics if isinstance(client, Namesmith) else None
    return _ChannelNotifier(client.get_partial_messageable(channel_id, guild_id=guild_id), metrics)


SERVER = "server"  # what Discord calls a chat of many


def attachment_upload(attachment: discord.Attachment) -> Upload:
    """An attached file, downloaded only once its declared size was found acceptable."""
    return Upload(attachment.filename, attachment.size, attachment.read)


def _interaction_context(
    interaction: discord.Interaction, admin_role: str | None, upload: Upload | None = None
) -> Context:
    user = f"dc:{interaction.user.id}"
    notify = _notifier(interaction.client, interaction.channel_id, interaction.guild_id)
    if interaction.guild_id is None:
        return Context(
            user, None, "discord", upload=upload, notify=notify, must_answer=True, chat_word=SERVER
        )
    # Manage Server comes with the interaction (the member's resolved permissions): no REST call.
    manages = interaction.permissions.manage_guild
    member = interaction.user

    async def chat_admin() -> bool:
        return manages or _has_role(member, admin_role)

    return Context(
        user,
        f"dc:{interaction.guild_id}",
        "discord",
        chat_admin,
        upload=upload,
        notify=notify,
        must_answer=True,
        chat_word=SERVER,
    )


def _message_context(
    client: discord.Client, message: discord.Message, admin_role: str | None
) -> Context:
    user = f"dc:{message.author.id}"
    upload = attachment_upload(message.attachments[0]) if message.attachments else None
    guild_id = message.guild.id if message.guild is not None else None
    notify = _notifier(client, message.channel.id, guild_id)
    if message.guild is None:
        return Context(user, None, "discord", upload=upload, notify=notify, chat_word=SERVER)
    member = message.author

    async def chat_admin() -> bool:
        if not isinstance(member, discord.Member):
            return False
        return member.guild_permissions.manage_guild or _has_role(member, admin_role)

    return Context(
        user,
        f"dc:{message.guild.id}",
        "discord",
        chat_admin,
        upload=upload,
        notify=notify,
        chat_word=SERVER,
    )


def _has_role(member: discord.User | discord.Member, role: str | None) -> bool:
    if role is None or not isinstance(member, discord.Member):
        return False
    return any(role in (str(r.id), r.name) for r in member.roles)
