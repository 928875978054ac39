"""Starting the Discord bot and stopping it: discord.py pointed at the configured API, a login
retried while the API cannot be reached, the intents the application may ask for, and one
fatal line (FatalError) for whatever stops the bot for good (a rejected token, an unreachable
API or gateway, an intent refused), never a traceback.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import discord
import yarl

from bot.adapters.discord import commands
from bot.adapters.discord.client import Namesmith
from bot.config import Config
from bot.errors import FatalError
from bot.service import Service

log = logging.getLogger(__name__)

START_ATTEMPTS = 6  # tries to reach the API (and the gateway) at start before giving up


def build(
    service: Service | None,
    config: Config,
    *,
    message_content: bool = False,
    guild_ready_timeout: float = 2.0,
) -> Namesmith:
    """The bot with its slash commands and `!sync`; not logged in. Without a service it can
    only sync the commands."""
    bot = Namesmith(
        service,
        config,
        start_attempts=START_ATTEMPTS,
        message_content=message_content,
        guild_ready_timeout=guild_ready_timeout,
    )
    commands.install(bot)
    return bot


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
    bot = build(service, config, message_content=content, guild_ready_timeout=guild_ready_timeout)
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
    bot = build(None, config)
    async with bot:
        await login(bot, config.discord_token.get_secret_value())
        target = None if guild is None else discord.Object(id=guild)
        if target is not None:
            bot.tree.copy_global_to(guild=target)
        try:
            return len(await bot.tree.sync(guild=target))
        except discord.HTTPException as exc:
            raise FatalError(commands.sync_refused(exc)) from None
