"""The operator's port (NAMESMITH_METRICS_LISTEN): /healthz, /readyz and /metrics over HTTP.

- /healthz answers "ok" for as long as the event loop runs: a process that answers is alive.
- /readyz runs the service's readiness checks (the database answers, models are loaded, every
  platform this process serves is connected): 200 when all pass, 503 when one fails, and the
  body says which, one line per check. A load balancer sends traffic only to a ready replica.
- /metrics is Prometheus's text format, from the service's own metrics registry; each scrape
  runs the readiness checks too (`namesmith_ready`), so an alert can watch them.

A small aiohttp server of its own, apart from the webhook's: the port is for the operator and
the load balancer, never published to the internet, and it serves nothing else.
"""

from __future__ import annotations

import logging

from aiohttp import web
from prometheus_client.aiohttp import make_aiohttp_handler

from bot.service import Service

log = logging.getLogger(__name__)


class MonitorServer:
    def __init__(self, service: Service, host: str | None, port: int) -> None:
        """`host` None listens on every interface (NAMESMITH_METRICS_LISTEN=:9108)."""
        self.service = service
        self.host, self.port = host, port
        self._runner: web.AppRunner | None = None
        self._render = make_aiohttp_handler(service.metrics.registry)

    async def start(self) -> None:
        """Listen; OSError when the address cannot be had (taken, not ours)."""
        app = web.Application()
        app.router.add_get("/healthz", _healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        runner = web.AppRunner(app, access_log=None)  # probes every few seconds: no log line
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner

    @property
    def addresses(self) -> list[str]:
        """Where it listens, as host:port (the port chosen when it was 0)."""
        if self._runner is None:
            return []
        return [f"{a[0]}:{a[1]}" for a in self._runner.addresses]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _readyz(self, request: web.Request) -> web.Response:
        checks = await self.service.readiness()
        ready = all(c.ok for c in checks)
        body = "\n".join(c.line() for c in checks) + "\n"
        if not ready:
            log.debug("not ready: %s", "; ".join(c.line() for c in checks if not c.ok))
        return web.Response(status=200 if ready else 503, text=body)

    async def _metrics(self, request: web.Request) -> web.StreamResponse:
        await self.service.readiness()  # namesmith_ready as of this scrape
        return await self._render(request)


async def _healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok\n")
