"""The operator's port over real HTTP on 127.0.0.1: /healthz, /readyz and /metrics, served from a
real service (tiny models, a real SQLite file), and NAMESMITH_METRICS_LISTEN read as `run`
reads it."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from pydantic import ValidationError

from bot.app import start_monitor
from bot.config import Config
from bot.errors import FatalError
from bot.monitor import MonitorServer
from bot.service import Service
from tests.bot.builders import ctx

Get = Callable[[str], Awaitable[tuple[int, str]]]


@pytest.fixture
async def get(service: Service) -> AsyncIterator[Get]:
    """GET a path of a MonitorServer on 127.0.0.1 (an ephemeral port); (status, body)."""
    server = MonitorServer(service, "127.0.0.1", 0)
    await server.start()
    (address,) = server.addresses
    async with aiohttp.ClientSession() as session:

        async def fetch(path: str) -> tuple[int, str]:
            async with session.get(f"http://{address}{path}") as response:
                return response.status, await response.text()

        yield fetch
    await server.stop()


async def test_healthz_answers_ok(get: Get) -> None:
    assert await get("/healthz") == (200, "ok\n")


async def test_ready_when_the_database_answers_models_are_loaded_and_platforms_connected(
    service: Service, get: Get
) -> None:
    service.metrics.expect("telegram")
    service.metrics.connected("telegram")
    status, body = await get("/readyz")
    assert status == 200, body
    assert body.splitlines() == [
        "✓ database: answers",
        "✓ models: 2 styles",
        "✓ telegram: connected",
    ]


async def test_not_ready_while_a_platform_is_not_connected(service: Service, get: Get) -> None:
    service.metrics.expect("telegram")  # as `run` does before the adapter starts
    service.metrics.expect("discord")
    service.metrics.connected("discord")
    status, body = await get("/readyz")
    assert status == 503
    assert "✗ telegram: not connected" in body.splitlines()
    assert "✓ discord: connected" in body.splitlines()


async def test_not_ready_when_the_database_does_not_answer(service: Service, get: Get) -> None:
    await service.store.close()
    status, body = await get("/readyz")
    assert status == 503
    (database,) = [line for line in body.splitlines() if "database" in line]
    assert database.startswith("✗ database: ")
    assert "✓ models: 2 styles" in body


async def test_metrics_name_every_metric(get: Get) -> None:
    status, body = await get("/metrics")
    assert status == 200
    for name in (
        "namesmith_commands_total",
        "namesmith_reply_seconds",
        "namesmith_sends_retried_total",
        "namesmith_sends_dropped_total",
        "namesmith_rate_limited_users_total",
        "namesmith_queue_depth",
        "namesmith_model_swaps_total",
        "namesmith_retrain_state",
        "namesmith_retrains_total",
        "namesmith_platform_connected",
        "namesmith_ready",
    ):
        assert f"# TYPE {name} " in body, name


async def test_each_scrape_says_what_the_readiness_checks_find(service: Service, get: Get) -> None:
    service.metrics.expect("telegram")
    _, body = await get("/metrics")
    assert 'namesmith_ready{check="database"} 1.0' in body
    assert 'namesmith_ready{check="telegram"} 0.0' in body
    await service.store.close()
    _, body = await get("/metrics")
    assert 'namesmith_ready{check="database"} 0.0' in body


async def test_a_command_moves_its_counter_and_latency(service: Service, get: Get) -> None:
    counted = 'namesmith_commands_total{command="name",outcome="ok"} 1.0'
    assert counted not in (await get("/metrics"))[1]
    await service.on_text(ctx(), "/name 3")
    _, body = await get("/metrics")
    assert counted in body
    assert 'namesmith_reply_seconds_count{command="name"} 1.0' in body


async def test_a_busy_port_is_one_fatal_line_naming_the_variable(service: Service) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        listen = f"127.0.0.1:{taken.getsockname()[1]}"
        config = Config(metrics_listen=listen, _env_file=None)  # type: ignore[call-arg]
        with pytest.raises(FatalError, match=f"cannot listen for metrics on {listen} "
                           r"\(NAMESMITH_METRICS_LISTEN\)"):  # fmt: skip
            await start_monitor(service, config)


@pytest.mark.parametrize(
    ("value", "address"),
    [
        ("127.0.0.1:9108", ("127.0.0.1", 9108)),
        (":9108", (None, 9108)),
        ("[::1]:9108", ("::1", 9108)),
        ("", None),
    ],
)
def test_the_metrics_address(value: str, address: tuple[str | None, int] | None) -> None:
    config = Config(metrics_listen=value, _env_file=None)  # type: ignore[call-arg]
    assert config.metrics_address == address


@pytest.mark.parametrize("value", ["9108", "localhost:", "127.0.0.1:70000", "a b:1"])
def test_a_bad_metrics_address_is_refused(value: str) -> None:
    settings: dict[str, Any] = {"metrics_listen": value}
    with pytest.raises(ValidationError, match="write host:port or :port"):
        Config(_env_file=None, **settings)  # type: ignore[call-arg]


def test_off_by_default() -> None:
    assert Config(_env_file=None).metrics_address is None  # type: ignore[call-arg]
