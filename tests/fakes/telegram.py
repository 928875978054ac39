"""A fake Telegram Bot API server on 127.0.0.1, for the real python-telegram-bot client.

It serves getUpdates from a queue the test fills and records every call it accepted. Faults are
injected the way Telegram shows them: the next calls of a method fail (429 with retry_after,
5xx), an outage answers 502 or refuses connections for a while, a slow answer arrives after the
client's read timeout (the message *was* delivered), texts over 4,096 characters are refused,
a callback query can be "too old", and a reply to a deleted message is refused unless the
client allows sending without it. A rejected token answers 401 to everything.

Webhook mode: setWebhook/deleteWebhook are recorded like every call (`webhook` holds what the
last setWebhook asked for), and a test takes the queued updates (`take_updates`) to POST them
to the bot's webhook server itself (`post_update`), as Telegram would.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

BOT_ID = 4242
BOT_USERNAME = "NamesmithBot"
TOKEN = "4242:fake-token-for-tests"
WAIT_SECONDS = 20.0


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    at: float = field(default_factory=time.perf_counter)  # when the server received it


class FakeTelegram:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._new_update = asyncio.Event()
        self._new_call = asyncio.Event()
        self._failures: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self.chat_admins: set[tuple[int, int]] = set()  # (chat_id, user_id)
        self._reply_waiters: dict[int, list[asyncio.Future[Call]]] = {}
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self.port = 0
        # Faults a test switches on.
        self.outage_until = 0.0  # every method answers 502 until then (time.monotonic())
        self.outage_on_send: tuple[float, str] | None = None  # (seconds, "502" | "refused")
        self.slow: dict[str, list[float]] = {}  # method -> delays of its next answers
        self.deleted: set[int] = set()  # message ids a reply can no longer quote
        self.queries_too_old = False
        self.token_rejected = False
        self.refused = 0  # calls answered with an error
        self.files: dict[str, bytes] = {}  # file_id -> content, for getFile and downloads
        self.downloads = 0

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await self._listen()

    async def _listen(self) -> None:
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await self._site.start()
        sockets = self._site._server.sockets  # type: ignore[union-attr]
        self.port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def refuse_connections(self, seconds: float) -> None:
        """Stop listening (connections are refused) for `seconds`, then listen again."""
        if self._site is not None:
            await self._site.stop()
        await asyncio.sleep(seconds)
        await self._listen()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # --- what a test does -----------------------------------------------------------------

    def fail_next(self, method: str, status: int, times: int = 1, retry_after: int = 1) -> None:
        body: dict[str, Any] = {"ok": False, "error_code": status}
        if status == 429:
            body["description"] = f"Too Many Requests: retry after {retry_after}"
            body["parameters"] = {"retry_after": retry_after}
        else:
            body["description"] = "Internal Server Error"
        self._failures.setdefault(method, []).extend([(status, body)] * times)

    def outage(self, seconds: float) -> None:
        """Every method answers 502 Bad Gateway for `seconds` from now."""
        self.outage_until = time.monotonic() + seconds

    def command(
        self,
        text: str,
        *,
        user_id: int = 1,
        chat_id: int | None = None,
        chat_type: str = "private",
        sender_chat: int | None = None,
        edit_of: int | None = None,
    ) -> int:
        """Queue a message from a user (or from a chat it speaks as: an anonymous admin, a
        channel); with `edit_of`, an edit of that earlier message. Returns its message_id."""
        chat_id = user_id if chat_id is None else chat_id
        message_id = next(self._message_ids) if edit_of is None else edit_of
        word = text.split()[0] if text.startswith("/") else ""
        entities = [{"type": "bot_command", "offset": 0, "length": len(word)}] if word else []
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chat(chat_id, chat_type),
            "from": self._user(user_id),
            "text": text,
            "entities": entities,
        }
        if sender_chat is not None:
            # Telegram's placeholder user for anonymous admins, with the chat they speak as.
            message["from"] = {"id": 1087968824, "is_bot": True, "first_name": "Group",
                               "username": "GroupAnonymousBot"}  # fmt: skip
            message["sender_chat"] = self._chat(sender_chat, "supergroup")
        if edit_of is not None:
            message["edit_date"] = int(time.time())
        self._push({"edited_message" if edit_of is not None else "message": message})
        return message_id

    def document(
        self,
        content: bytes,
        *,
        filename: str = "names.txt",
        caption: str | None = None,
        user_id: int = 1,
        chat_id: int | None = None,
        chat_type: str = "private",
        size: int | None = None,
    ) -> int:
        """Queue a message carrying a file (with an optional caption); returns its id."""
        chat_id = user_id if chat_id is None else chat_id
        message_id = next(self._message_ids)
        file_id = f"file{message_id}"
        self.files[file_id] = content
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chat(chat_id, chat_type),
            "from": self._user(user_id),
            "document": {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "file_name": filename,
                "file_size": len(content) if size is None else size,
            },
        }
        if caption is not None:
            message["caption"] = caption
            word = caption.split()[0] if caption.startswith("/") else ""
            if word:
                message["caption_entities"] = [
                    {"type": "bot_command", "offset": 0, "length": len(word)}
                ]
        self._push({"message": message})
        return message_id

    async def _download(self, request: web.Request) -> web.Response:
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        if file_id not in self.files:
            return web.Response(status=404)
        self.downloads += 1
        return web.Response(body=self.files[file_id])

    def press(self, data: str, *, user_id: int = 1, chat_id: int | None = None,
              chat_type: str = "private", under: Call | None = None) -> None:  # fmt: skip
        """Queue a press of a button with this data; `under` is the message it sits under (its
        keyboard comes with the press, as Telegram sends it)."""
        chat_id = user_id if chat_id is None else chat_id
        message: dict[str, Any] = {
            "message_id": 1,
            "date": int(time.time()),
            "chat": self._chat(chat_id, chat_type),
            "from": self._bot_user(),
            "text": "names",
        }
        if under is not None and under.params.get("reply_markup"):
            markup = under.params["reply_markup"]
            message["reply_markup"] = json.loads(markup) if isinstance(markup, str) else markup
        self._push(
            {
                "callback_query": {
                    "id": str(next(self._message_ids)),
                    "from": self._user(user_id),
                    "chat_instance": "ci",
                    "data": data,
                    "message": message,
                }
            }
        )

    def take_updates(self) -> list[dict[str, Any]]:
        """The queued updates, removed from the queue: a webhook test delivers them itself."""
        taken, self._updates = self._updates, []
        return taken

    @property
    def webhook(self) -> dict[str, Any] | None:
        """What the last setWebhook asked for (url, secret_token, ...), unless deleted since."""
        for call in reversed(self.calls):
            if call.method == "setWebhook":
                return call.params
            if call.method == "deleteWebhook":
                return None
        return None

    def next_reply(self, chat_id: int) -> asyncio.Future[Call]:
        """A future for the next message the bot sends to `chat_id` (ask before it is due)."""
        fut: asyncio.Future[Call] = asyncio.get_running_loop().create_future()
        self._reply_waiters.setdefault(chat_id, []).append(fut)
        return fut

    def popups(self) -> list[str]:
        """The texts of the pop-ups shown (button presses answered with text)."""
        return [
            str(c.params["text"]) for c in self.sent("answerCallbackQuery") if c.params.get("text")
        ]

    def sent(self, method: str = "sendMessage") -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_until(self, check: Callable[[], bool], what: str) -> None:
        """Wait (up to WAIT_SECONDS) until `check()` holds, looking again after every call."""
        try:
            async with asyncio.timeout(WAIT_SECONDS):
                while not check():
                    self._new_call.clear()
                    await self._new_call.wait()
        except TimeoutError:
            raise AssertionError(f"timed out waiting for {what}") from None

    async def wait_sent(self, n: int, method: str = "sendMessage") -> list[Call]:
        """Wait (up to WAIT_SECONDS) until `n` calls of `method` were answered successfully."""
        try:
            async with asyncio.timeout(WAIT_SECONDS):
                while len(self.sent(method)) < n:
                    self._new_call.clear()
                    await self._new_call.wait()
        except TimeoutError:
            raise AssertionError(
                f"{len(self.sent(method))} of {n} {method} calls arrived"
            ) from None
        return self.sent(method)

    # --- the API --------------------------------------------------------------------------

    def _push(self, update: dict[str, Any]) -> None:
        update["update_id"] = next(self._update_ids)
        self._updates.append(update)
        self._new_update.set()

    @staticmethod
    def _user(user_id: int) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}

    @staticmethod
    def _bot_user() -> dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": "Namesmith", "username": BOT_USERNAME}

    @staticmethod
    def _chat(chat_id: int, chat_type: str) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type != "private":
            chat["title"] = "Group"
        return chat

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        if request.can_read_body:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[key] = value.file.read()
                elif key in ("text", "caption"):
                    params[key] = str(value)
                else:
                    params[key] = _decode(str(value))
        refusal = self._refusal(method, params)
        if refusal is not None:
            self.refused += 1
            status, body = refusal
            return web.json_response(body, status=status)
        result = await self._result(method, params, files)
        delays = self.slow.get(method)
        if delays:
            await asyncio.sleep(delays.pop(0))  # delivered, but answered late
        return web.json_response({"ok": True, "result": result})

    def _refusal(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        def bad(status: int, description: str) -> tuple[int, dict[str, Any]]:
            return status, {"ok": False, "error_code": status, "description": description}

        if self.token_rejected:
            return bad(401, "Unauthorized")
        if self.outage_on_send is not None and method == "sendMessage":
            seconds, kind = self.outage_on_send
            self.outage_on_send = None
            if kind == "refused":
                asyncio.get_running_loop().create_task(self.refuse_connections(seconds))
            else:
                self.outage(seconds)
        if time.monotonic() < self.outage_until:
            return bad(502, "Bad Gateway")
        failures = self._failures.get(method)
        if failures:
            return failures.pop(0)
        if method == "sendMessage" and len(str(params.get("text", ""))) > 4096:
            return bad(400, "Bad Request: message is too long")
        if method in ("sendMessage", "sendDocument"):
            quoted = params.get("reply_parameters") or {}
            target = quoted.get("message_id", params.get("reply_to_message_id"))
            if target in self.deleted and not quoted.get("allow_sending_without_reply"):
                return bad(400, "Bad Request: message to be replied not found")
        if method == "answerCallbackQuery" and self.queries_too_old:
            return bad(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        return None

    async def _result(self, method: str, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        if method == "getUpdates":
            offset = int(params.get("offset", 0) or 0)
            # Long polls are cut short so that stopping the client (which waits for the
            # poll in flight) is quick.
            timeout = min(float(params.get("timeout", 0) or 0), 0.25)
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if not self._updates and timeout:
                self._new_update.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._new_update.wait(), timeout)
            return self._updates[:100]
        call = Call(method, params, files)
        self.calls.append(call)
        self._new_call.set()
        if method in ("sendMessage", "sendDocument", "sendPhoto"):
            waiters = self._reply_waiters.get(int(params["chat_id"]))
            if waiters:
                waiters.pop(0).set_result(call)
        if method == "getFile":
            file_id = str(params["file_id"])
            return {"file_id": file_id, "file_unique_id": f"u{file_id}",
                    "file_size": len(self.files.get(file_id, b"")),
                    "file_path": f"documents/{file_id}"}  # fmt: skip
        if method == "getMe":
            return {
                **self._bot_user(),
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if method in ("sendMessage", "sendDocument", "sendPhoto"):
            chat_id = int(params["chat_id"])
            message: dict[str, Any] = {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": self._chat(chat_id, "private" if chat_id > 0 else "group"),
                "from": self._bot_user(),
            }
            if method == "sendMessage":
                message["text"] = params["text"]
            elif method == "sendPhoto":
                message["caption"] = params.get("caption", "")
                message["photo"] = [{"file_id": "p1", "file_unique_id": "pu1", "width": 10,
                                     "height": 10}]  # fmt: skip
            else:
                message["caption"] = params.get("caption", "")
                message["document"] = {"file_id": "f1", "file_unique_id": "u1",
                                       "file_name": "namesmith-favourites.txt"}  # fmt: skip
            return message
        if method == "getChatMember":
            key = (int(params["chat_id"]), int(params["user_id"]))
            status = "administrator" if key in self.chat_admins else "member"
            member: dict[str, Any] = {"status": status, "user": self._user(key[1])}
            if status == "administrator":
                member |= {"can_be_edited": False, "is_anonymous": False,
                           "can_manage_chat": True, "can_delete_messages": True,
                           "can_manage_video_chats": True, "can_restrict_members": True,
                           "can_promote_members": False, "can_change_info": True,
                           "can_invite_users": True, "can_post_stories": False,
                           "can_edit_stories": False, "can_delete_stories": False}  # fmt: skip
            return member
        return True  # setWebhook, deleteWebhook, answerCallbackQuery, setMyCommands, ...


async def post_update(
    url: str,
    update: dict[str, Any],
    secret: str | None,
    session: aiohttp.ClientSession | None = None,
) -> int:
    """POST one update to a bot's webhook as Telegram does; returns the HTTP status. Telegram
    keeps connections open: pass a `session` to do the same over many updates."""
    headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
    if session is None:
        async with aiohttp.ClientSession() as own:
            return await post_update(url, update, secret, own)
    async with session.post(url, json=update, headers=headers) as response:
        await response.read()
        return response.status


def _decode(value: str) -> Any:
    """PTB sends non-string fields JSON-encoded inside the form."""
    try:
        return json.loads(value)
    except ValueError:
        return value
