"""Telegram's webhook, received by a small aiohttp server of ours instead of PTB's own.

PTB's server reads a whole body (up to 100 MB) before it checks the secret: anyone who can reach
the URL could fill a replica's memory. Here the secret header is checked first and a body over
MAX_BODY is refused from its declared length, before a byte of it is read; Telegram's updates
are a few kilobytes. An accepted update goes into the Application's queue, as PTB's own server
does, and is answered from there (a redelivered one only once: see `handlers.once`).
"""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web
from telegram import Update
from telegram.ext import Application

log = logging.getLogger(__name__)

MAX_BODY = 1 << 20  # bytes: a Telegram update is a few KB
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookServer:
    def __init__(
        self,
        app: Application,  # type: ignore[type-arg]
        *,
        path: str,
        secret: str,
        host: str,
        port: int,
    ) -> None:
        self.app = app
        self.path = path
        self.secret = secret.encode()
        self.host, self.port = host, port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Listen; OSError when the address cannot be had (taken, not ours)."""
        server = web.Application(client_max_size=MAX_BODY)
        server.router.add_post(self.path, self._update)
        runner = web.AppRunner(server, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _update(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            return web.Response(status=403)  # the body is never read
        if request.content_length is None or request.content_length > MAX_BODY:
            return web.Response(status=413)
        try:
            data = json.loads(await request.read())
            update = Update.de_json(data, self.app.bot)
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("telegram: a webhook body that is no update (%s)", type(exc).__name__)
            return web.Response(status=400)
        if update is None:
            return web.Response(status=400)
        await self.app.update_queue.put(update)
        return web.Response(status=200)
