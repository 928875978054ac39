"""A fake Discord (REST + gateway) on 127.0.0.1, for the real discord.py client.

REST answers what the client asks at start (who am I, the application, the gateway), takes
interaction callbacks, webhook follow-ups, channel messages (and their edits) and command syncs,
and records each of them as a `Sent`; it serves the files users attach, counting downloads. The
gateway speaks zlib-stream (one compressor per connection, every payload flushed with
Z_SYNC_FLUSH) when asked, plain text frames otherwise: HELLO, IDENTIFY → READY and GUILD_CREATE,
heartbeats ACKed. A test then dispatches slash commands, button presses, menu choices and
messages, and waits for what the bot sends. It can be told to answer the next matching REST
calls with a failure (a 429 with `Via`, as Discord sends it; a 500).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

TOKEN = "ZmFrZS1kaXNjb3JkLWJvdA.fake.token-for-tests-only"
BOT_ID = 4_000_000_000_000_000_01
APP_ID = BOT_ID
OWNER_ID = 1_000_000_000_000_000_01
GUILD_ID = 7_000_000_000_000_000_01
CHANNEL_ID = 7_000_000_000_000_000_02
DM_CHANNEL_ID = 7_000_000_000_000_000_03
ROLE_ID = 7_000_000_000_000_000_04  # "Dungeon Master"
MANAGE_GUILD = 1 << 5
MESSAGE_CONTENT_INTENT = 1 << 15
FLAG_MESSAGE_CONTENT = 1 << 19  # the application may receive message content
EPHEMERAL = 1 << 6
WAIT_SECONDS = 20.0
DISCORD_EPOCH_MS = 1_420_070_400_000


@dataclass
class Sent:
    """One thing the bot sent: an interaction callback, a follow-up, an edit, a message."""

    kind: str  # "callback", "followup", "edit", "message", "message_edit", "delete"
    body: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    interaction: int | None = None  # the interaction it answers
    at: float = field(default_factory=time.perf_counter)
    message: dict[str, Any] | None = None  # the message it made, as Discord returns it

    @property
    def type(self) -> int:
        return int(self.body.get("type", 0))

    @property
    def data(self) -> dict[str, Any]:
        """The message part: a callback's `data`, or the body of a message/follow-up/edit."""
        inner = self.body.get("data") if self.kind == "callback" else self.body
        return inner if isinstance(inner, dict) else {}

    @property
    def content(self) -> str:
        return str(self.data.get("content") or "")

    @property
    def ephemeral(self) -> bool:
        return bool(int(self.data.get("flags") or 0) & EPHEMERAL)

    @property
    def embed(self) -> dict[str, Any]:
        embeds = self.data.get("embeds") or []
        return dict(embeds[0]) if embeds else {}

    @property
    def components(self) -> list[dict[str, Any]]:
        """Every component, row by row, flattened."""
        return [c for row in self.data.get("components") or [] for c in row["components"]]

    @property
    def rows(self) -> list[list[dict[str, Any]]]:
        return [list(row["components"]) for row in self.data.get("components") or []]


@dataclass(frozen=True)
class FakeFile:
    """A file a user attaches (to a slash command's attachment option, or to a message): the
    fake serves it on 127.0.0.1 and counts downloads. `size` is what Discord declares, by
    default the true size."""

    content: bytes
    filename: str = "names.txt"
    size: int | None = None


class FakeDiscord:
    def __init__(self, *, message_content: bool = True, token: str = TOKEN) -> None:
        self.message_content = message_content
        self.token = token
        self.sent: list[Sent] = []
        self.requests: list[tuple[str, str]] = []  # (method, path) of every REST call
        self.identified: list[dict[str, Any]] = []
        self.compression: list[str | None] = []  # what each gateway connection asked for
        self.synced: list[tuple[int | None, list[dict[str, Any]]]] = []  # (guild, commands)
        self.admins: set[int] = set()  # members with Manage Server
        self._failures: list[tuple[str, re.Pattern[str], int, dict[str, str], Any]] = []
        # (socket, its compressor or None, [shard id, shard count]) of each identified shard
        self._sockets: list[tuple[web.WebSocketResponse, Any, list[int]]] = []
        self._ready = asyncio.Event()
        self._changed = asyncio.Event()
        self._seq = itertools.count(1)
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Future[None]] = set()
        self._answer_waiters: dict[int, asyncio.Future[Sent]] = {}
        self.advertised_gateway: str | None = None  # what GET /gateway/bot names; default: ours
        self.files: dict[int, FakeFile] = {}  # attachments served under /attachments/<id>/
        self.downloads = 0  # attachment downloads
        self.port = 0

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/attachments/{id:[0-9]+}/{filename}", self._download)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        for ws, _, _ in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def wait_ready(self) -> None:
        """Until a shard has identified and been sent READY and its guild."""
        async with asyncio.timeout(WAIT_SECONDS):
            await self._ready.wait()

    def snowflake(self) -> int:
        """An id made now: discord.py reads an interaction's age from its id."""
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (ms << 22) | (next(self._ids) & 0x3FFFFF)

    # --- what a test does -----------------------------------------------------------------

    def fail_next(
        self,
        path: str,
        status: int,
        *,
        times: int = 1,
        retry_after: float = 0.3,
        method: str = "POST",
    ) -> None:
        """Answer the next `times` REST calls whose path matches the regex with `status`."""
        headers: dict[str, str] = {}
        body: Any = {"message": "500: Internal Server Error", "code": 0}
        if status == 403:
            body = {"message": "Missing Access", "code": 50001}
        if status == 429:
            headers = {"Via": "1.1 google", "Retry-After": f"{retry_after:g}"}
            body = {"message": "You are being rate limited.", "retry_after": retry_after,
                    "global": False}  # fmt: skip
        self._failures += [(method, re.compile(path), status, headers, body)] * times

    def slash(
        self,
        name: str,
        options: dict[str, Any] | None = None,
        *,
        user_id: int = 1,
        guild: bool = True,
        manage_guild: bool = False,
        roles: tuple[int, ...] = (),
        sub: str | None = None,
        guild_id: int = GUILD_ID,
    ) -> int:
        """Dispatch a slash command; returns the interaction id. A FakeFile value is an
        attachment option: the payload carries it in `resolved.attachments`."""
        typed, attachments = [], {}
        for key, value in (options or {}).items():
            if isinstance(value, FakeFile):
                attachment = self._attachment(value)
                attachments[attachment["id"]] = attachment
                typed.append({"name": key, "type": 11, "value": attachment["id"]})
            elif value is not None:
                typed.append(_option(key, value))
        if sub is not None:
            typed = [{"name": sub, "type": 1, "options": typed}]
        data: dict[str, Any] = {"id": str(self.snowflake()), "name": name, "type": 1,
                                "options": typed}  # fmt: skip
        if attachments:
            data["resolved"] = {"attachments": attachments}
        return self._interaction(2, data, user_id, guild, manage_guild, roles, guild_id=guild_id)

    def autocomplete(self, name: str, focused: str, value: str, **others: Any) -> int:
        options = [_option(k, v) for k, v in others.items()]
        options.append({"name": focused, "type": 3, "value": value, "focused": True})
        data = {"id": str(self.snowflake()), "name": name, "type": 1, "options": options}
        return self._interaction(4, data, 1, True, False, ())

    def press(
        self,
        sent: Sent,
        custom_id: str,
        *,
        user_id: int = 1,
        values: list[str] | None = None,
        guild: bool = True,
    ) -> int:
        """Press a button (or choose `values` in a menu) under a message the bot sent."""
        message = sent.message
        assert message is not None, "that reply made no message"
        component = next(c for c in sent.components if c.get("custom_id") == custom_id)
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component["type"]}
        if values is not None:
            data["values"] = values
        return self._interaction(3, data, user_id, guild, False, (), message=message)

    def say(
        self,
        content: str,
        *,
        user_id: int = 1,
        guild: bool = True,
        files: tuple[FakeFile, ...] = (),
    ) -> None:
        """A message in the server's channel (or a DM), as the gateway delivers it: without
        the message-content intent a server message arrives with empty content (and no
        attachments)."""
        if guild and not self._content_intent():
            content, files = "", ()
        message = self._message(
            CHANNEL_ID if guild else DM_CHANNEL_ID, {"content": content}, _user(user_id)
        )
        message["attachments"] = [self._attachment(f) for f in files]
        if guild:
            message["guild_id"] = str(GUILD_ID)
            message["member"] = _member(user_id, manage_guild=user_id in self.admins)
            del message["member"]["user"]
        self.dispatch("MESSAGE_CREATE", message)

    def _attachment(self, file: FakeFile) -> dict[str, Any]:
        """An attachment as Discord describes it, its URL on this server."""
        aid = self.snowflake()
        self.files[aid] = file
        url = f"http://127.0.0.1:{self.port}/attachments/{aid}/{file.filename}"
        return {
            "id": str(aid),
            "filename": file.filename,
            "size": len(file.content) if file.size is None else file.size,
            "url": url,
            "proxy_url": url,
            "content_type": "text/plain; charset=utf-8",
        }

    async def _download(self, request: web.Request) -> web.Response:
        file = self.files.get(int(request.match_info["id"]))
        if file is None or file.filename != request.match_info["filename"]:
            return web.Response(status=404)
        self.downloads += 1
        return web.Response(body=file.content, content_type="text/plain")

    def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send an event to the shard that owns its server (DMs go to shard 0)."""
        guild = int(data.get("guild_id") or 0)
        for ws, compressor, (shard, count) in self._sockets:
            if (guild >> 22) % count != shard:
                continue
            payload = {"op": 0, "t": event, "s": next(self._seq), "d": data}
            task = asyncio.ensure_future(self._send(ws, compressor, payload))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def first_answer(self, interaction: int) -> asyncio.Future[Sent]:
        """A future for the first thing the bot sends for this interaction (ask at once)."""
        fut: asyncio.Future[Sent] = asyncio.get_running_loop().create_future()
        self._answer_waiters[interaction] = fut
        return fut

    async def disconnect(self, code: int) -> None:
        """Close every gateway connection with this close code (4004: token no longer valid)."""
        for ws, _, _ in list(self._sockets):
            await ws.close(code=code, message=b"closed by the test")

    def answers(self, interaction: int) -> list[Sent]:
        return [s for s in self.sent if s.interaction == interaction]

    async def wait_answer(self, interaction: int, n: int = 1) -> list[Sent]:
        """Wait until the bot has sent `n` things for this interaction (callback included)."""
        await self.wait_until(lambda: len(self.answers(interaction)) >= n)
        return self.answers(interaction)

    async def wait_sent(self, n: int, kind: str | None = None) -> list[Sent]:
        def found() -> list[Sent]:
            return [s for s in self.sent if kind is None or s.kind == kind]

        await self.wait_until(lambda: len(found()) >= n)
        return found()

    async def wait_until(self, check: Any, seconds: float = WAIT_SECONDS) -> None:
        try:
            async with asyncio.timeout(seconds):
                while not check():
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            raise AssertionError(f"timed out; the bot sent {self.sent!r}") from None

    # --- the gateway ----------------------------------------------------------------------

    def _content_intent(self) -> bool:
        return any(int(i["intents"]) & MESSAGE_CONTENT_INTENT for i in self.identified)

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.compression.append(request.query.get("compress"))
        zlib_stream = request.query.get("compress") == "zlib-stream"
        compressor = zlib.compressobj() if zlib_stream else None
        entry = (ws, compressor, [0, 1])
        await self._send(ws, compressor, {"op": 10, "d": {"heartbeat_interval": 41_250}})
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                payload = json.loads(msg.data)
                op, data = payload.get("op"), payload.get("d")
                if op == 1:
                    await self._send(ws, compressor, {"op": 11})
                elif op == 2:
                    await self._identify(ws, compressor, data, entry)
                elif op == 6:
                    self._sockets.append(entry)
                    await self._send(ws, compressor, {"op": 0, "t": "RESUMED",
                                                      "s": next(self._seq), "d": {}})  # fmt: skip
        finally:
            if entry in self._sockets:
                self._sockets.remove(entry)
        return ws

    async def _identify(
        self, ws: web.WebSocketResponse, compressor: Any, data: dict[str, Any], entry: Any
    ) -> None:
        if data.get("token") != self.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return
        self.identified.append(data)
        shard = data.get("shard") or [0, 1]
        entry[2][:] = shard
        owns = (GUILD_ID >> 22) % shard[1] == shard[0]
        ready = {
            "v": 10,
            "user": _user(BOT_ID, bot=True),
            "guilds": [{"id": str(GUILD_ID), "unavailable": True}] if owns else [],
            "session_id": f"session-{len(self.identified)}",
            "resume_gateway_url": self.gateway_url,
            "shard": shard,
            "application": {"id": str(APP_ID), "flags": self._app_flags()},
            "private_channels": [],
            "relationships": [],
        }
        await self._send(ws, compressor, {"op": 0, "t": "READY", "s": next(self._seq),
                                          "d": ready})  # fmt: skip
        if owns:
            await self._send(ws, compressor, {"op": 0, "t": "GUILD_CREATE",
                                              "s": next(self._seq), "d": _guild()})  # fmt: skip
        self._sockets.append(entry)
        self._ready.set()

    async def _send(self, ws: web.WebSocketResponse, compressor: Any, payload: Any) -> None:
        if ws.closed:
            return
        text = json.dumps(payload)
        if compressor is None:
            await ws.send_str(text)
        else:
            await ws.send_bytes(
                compressor.compress(text.encode()) + compressor.flush(zlib.Z_SYNC_FLUSH)
            )

    def _interaction(
        self,
        kind: int,
        data: dict[str, Any],
        user_id: int,
        guild: bool,
        manage_guild: bool,
        roles: tuple[int, ...],
        message: dict[str, Any] | None = None,
        guild_id: int = GUILD_ID,
    ) -> int:
        iid = self.snowflake()
        body: dict[str, Any] = {
            "id": str(iid),
            "application_id": str(APP_ID),
            "type": kind,
            "data": data,
            "token": f"itoken-{iid}",
            "version": 1,
            "locale": "en-GB",
            "attachment_size_limit": 10 * 1024 * 1024,
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild_id)} if guild else {"1": "1"},
            "context": 0 if guild else 1,
            "app_permissions": str((1 << 41) - 1),
        }
        if guild:
            admin = manage_guild or user_id in self.admins
            body |= {
                "guild_id": str(guild_id),
                "channel_id": str(CHANNEL_ID),
                "channel": _channel() | {"guild_id": str(guild_id)},
                "member": _member(user_id, manage_guild=admin, roles=roles),
                "guild_locale": "en-US",
            }
        else:
            body |= {
                "channel_id": str(DM_CHANNEL_ID),
                "channel": {"id": str(DM_CHANNEL_ID), "type": 1},
                "user": _user(user_id),
            }
        if message is not None:
            body["message"] = message
        self.dispatch("INTERACTION_CREATE", body)
        return iid

    def _app_flags(self) -> int:
        return FLAG_MESSAGE_CONTENT if self.message_content else 0

    # --- REST -----------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["path"]
        self.requests.append((request.method, path))
        body, files = await _body(request)
        for i, (method, pattern, status, headers, failure) in enumerate(self._failures):
            if method == request.method and pattern.search(path):
                del self._failures[i]
                self._changed.set()
                return _json(failure, status, headers)
        try:
            result = self._answer(request, path, body, files)
        finally:
            self._changed.set()
        if isinstance(result, web.Response):
            return result
        return _json(result)

    def _answer(self, request: web.Request, path: str, body: Any, files: dict[str, bytes]) -> Any:
        method = request.method
        auth = request.headers.get("Authorization", "")
        webhook = path.startswith(("/webhooks/", "/interactions/"))
        if not webhook and auth != f"Bot {self.token}":
            return _json({"message": "401: Unauthorized", "code": 0}, 401)
        if path == "/users/@me":
            return _user(BOT_ID, bot=True)
        if path == "/oauth2/applications/@me":
            return _application(self._app_flags())
        if path == "/gateway/bot":
            return {"url": self.advertised_gateway or self.gateway_url, "shards": 1,
                    "session_start_limit": {"total": 1000, "remaining": 999,
                                            "reset_after": 0, "max_concurrency": 1}}  # fmt: skip
        m = re.fullmatch(r"/interactions/([0-9]+)/[^/]+/callback", path)
        if m:
            iid = int(m[1])
            sent = Sent("callback", body, files, iid)
            kind = sent.type
            message = None
            if kind in (4, 7):  # a message, or an update of the pressed one
                message = self._message(CHANNEL_ID, sent.data, _user(BOT_ID, bot=True))
            sent.message = message
            self._record(sent)
            interaction: dict[str, Any] = {
                "id": str(iid),
                "type": 2,
                "response_message_id": str(message["id"] if message else self.snowflake()),
                "response_message_loading": kind == 5,
                "response_message_ephemeral": sent.ephemeral,
            }
            out: dict[str, Any] = {"interaction": interaction}
            if message is not None:
                out["resource"] = {"type": kind, "message": message}
            return out
        m = re.fullmatch(r"/webhooks/[0-9]+/itoken-([0-9]+)(/messages/@original)?", path)
        if m:
            iid = int(m[1])
            if method == "DELETE":
                self.sent.append(Sent("delete", {}, {}, iid))
                return web.Response(status=204)
            sent = Sent("edit" if m[2] else "followup", body, files, iid)
            sent.message = self._message(CHANNEL_ID, body, _user(BOT_ID, bot=True))
            self._record(sent)
            return sent.message
        m = re.fullmatch(r"/channels/([0-9]+)/messages", path)
        if m and method == "POST":
            sent = Sent("message", body, files)
            sent.message = self._message(int(m[1]), body, _user(BOT_ID, bot=True))
            self.sent.append(sent)
            return sent.message
        m = re.fullmatch(r"/channels/([0-9]+)/messages/([0-9]+)", path)
        if m and method == "PATCH":
            sent = Sent("message_edit", body, files)
            sent.message = self._message(int(m[1]), body, _user(BOT_ID, bot=True))
            sent.message["id"] = m[2]
            self.sent.append(sent)
            return sent.message
        m = re.fullmatch(r"/applications/[0-9]+(?:/guilds/([0-9]+))?/commands", path)
        if m and method == "PUT":
            self.synced.append((int(m[1]) if m[1] else None, list(body)))
            return [
                {**c, "id": str(self.snowflake()), "application_id": str(APP_ID), "version": "1",
                 "default_member_permissions": None, "type": c.get("type", 1)}
                for c in body
            ]  # fmt: skip
        if method == "GET":
            return []
        return {}

    def _record(self, sent: Sent) -> None:
        self.sent.append(sent)
        waiter = (
            None if sent.interaction is None else self._answer_waiters.pop(sent.interaction, None)
        )
        if waiter is not None and not waiter.done():
            waiter.set_result(sent)

    def _message(
        self, channel_id: int, data: dict[str, Any], author: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "id": str(self.snowflake()),
            "channel_id": str(channel_id),
            "type": 0,
            "content": data.get("content") or "",
            "embeds": data.get("embeds") or [],
            "components": data.get("components") or [],
            "attachments": [],
            "flags": int(data.get("flags") or 0),
            "author": author,
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "pinned": False,
        }


def _option(name: str, value: Any) -> dict[str, Any]:
    kind = {bool: 5, int: 4, float: 10}.get(type(value), 3)
    return {"name": name, "type": kind, "value": value}


def _user(user_id: int, *, bot: bool = False) -> dict[str, Any]:
    return {"id": str(user_id), "username": "namesmith" if bot else f"user{user_id}",
            "discriminator": "0", "global_name": None, "avatar": None, "bot": bot}  # fmt: skip


def _member(
    user_id: int, *, manage_guild: bool = False, roles: tuple[int, ...] = ()
) -> dict[str, Any]:
    return {
        "user": _user(user_id),
        "roles": [str(r) for r in roles],
        "joined_at": "2024-01-01T00:00:00+00:00",
        "deaf": False,
        "mute": False,
        "flags": 0,
        "permissions": str(MANAGE_GUILD | (1 << 11) if manage_guild else 1 << 11),
    }


def _role(role_id: int, name: str) -> dict[str, Any]:
    return {"id": str(role_id), "name": name, "permissions": str(1 << 11), "position": 0,
            "color": 0, "hoist": False, "managed": False, "mentionable": False}  # fmt: skip


def _channel() -> dict[str, Any]:
    return {"id": str(CHANNEL_ID), "type": 0, "guild_id": str(GUILD_ID), "name": "tavern",
            "position": 0, "permission_overwrites": [], "nsfw": False}  # fmt: skip


def _guild() -> dict[str, Any]:
    return {
        "id": str(GUILD_ID),
        "name": "The Table",
        "owner_id": str(OWNER_ID),
        "icon": None,
        "roles": [_role(GUILD_ID, "@everyone"), _role(ROLE_ID, "Dungeon Master")],
        "channels": [_channel()],
        "members": [_member(BOT_ID) | {"user": _user(BOT_ID, bot=True)}],
        "member_count": 3,
        "features": [],
        "emojis": [],
        "stickers": [],
        "threads": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "voice_states": [],
        "presences": [],
        "large": False,
        "unavailable": False,
    }


def _application(flags: int) -> dict[str, Any]:
    return {
        "id": str(APP_ID),
        "name": "Namesmith",
        "icon": None,
        "description": "",
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "flags": flags,
        "owner": _user(OWNER_ID),
        "team": None,
        "summary": "",
    }


async def _body(request: web.Request) -> tuple[Any, dict[str, bytes]]:
    if not request.can_read_body:
        return {}, {}
    if request.content_type.startswith("multipart/"):
        body: Any = {}
        files: dict[str, bytes] = {}
        reader = await request.multipart()
        async for part in reader:
            if part.name == "payload_json":  # type: ignore[union-attr]
                body = json.loads(await part.text())  # type: ignore[union-attr]
            else:
                files[part.filename or part.name or "?"] = bytes(await part.read())  # type: ignore[union-attr]
        return body, files
    raw = await request.read()
    return (json.loads(raw) if raw else {}), {}


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # discord.py reads JSON only when Content-Type is exactly application/json (no charset).
    return web.Response(
        body=json.dumps(body).encode(),
        status=status,
        headers={**(headers or {}), "Content-Type": "application/json"},
    )
