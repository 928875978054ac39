"""Running the Telegram bot: one sender's updates in order; webhook mode, where
python-telegram-bot's own server receives the updates the test POSTs."""

from __future__ import annotations

import asyncio
import gc
import socket
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from pydantic import HttpUrl, SecretStr, ValidationError

from bot import texts
from bot.adapters.telegram.run import run
from bot.config import Config
from bot.errors import FatalError
from bot.service import Service
from tests.bot.adapters.telegram.conftest import sent_texts
from tests.bot.conftest import Reports, config_for, running
from tests.fakes.telegram import FakeTelegram, post_update

SECRET = "webhook-secret-0123456789abcdef"


# --- order ---------------------------------------------------------------------------------


async def test_one_users_commands_run_in_order(service: Service, fake: FakeTelegram) -> None:
    async with running(service, fake):
        for i in range(10):
            fake.command(f"/fav Name{i}")
            fake.command(f"/unfav Name{i}")
        fake.command("/settings style=elf")
        fake.command("/name")
        fake.command("/favs")
        replies = await fake.wait_sent(23)
    texts = sent_texts(replies)
    assert texts[20].startswith("Saved. Your defaults: style=elf")
    assert texts[21].startswith("elf ·")
    assert texts[22].startswith("No favourites yet")


# --- webhooks ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def webhook_config(fake: FakeTelegram, port: int, **overrides: Any) -> Config:
    return config_for(
        fake,
        telegram_webhook_url="https://bot.example.com/telegram",
        telegram_webhook_listen=f"127.0.0.1:{port}",
        telegram_webhook_secret=SecretStr(SECRET),
        **overrides,
    )


@asynccontextmanager
async def serving(service: Service, config: Config) -> AsyncIterator[asyncio.Task[None]]:
    """`telegram.run` as `namesmith run` calls it, until the block ends."""
    stop = asyncio.Event()
    task = asyncio.create_task(run(service, config, stop))
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def _wait_listening(port: int) -> None:
    async with asyncio.timeout(20):
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            writer.close()
            await writer.wait_closed()
            return


# --- readiness -----------------------------------------------------------------------------


async def test_connected_while_polling_works_and_not_after_a_stop(
    service: Service, fake: FakeTelegram, reports: Reports
) -> None:
    service.metrics.expect("telegram")  # as `namesmith run` does first
    async with serving(service, config_for(fake)):
        await reports.until(lambda: service.metrics.platforms() == {"telegram": True})
        reports.seen.clear()
        fake.fail_next("getUpdates", 502)  # a failed poll: not ready until one goes through
        await reports.until(reports.down_then_up)
    assert service.metrics.platforms() == {"telegram": False}


async def test_connected_once_the_webhook_server_listens(
    service: Service, fake: FakeTelegram, reports: Reports
) -> None:
    service.metrics.expect("telegram")
    port = free_port()
    async with serving(service, webhook_config(fake, port)):
        await reports.until(lambda: service.metrics.platforms() == {"telegram": True})
        await _wait_listening(port)
    assert service.metrics.platforms() == {"telegram": False}


async def test_updates_posted_with_the_secret_are_answered(
    service: Service, fake: FakeTelegram
) -> None:
    port = free_port()
    async with serving(service, webhook_config(fake, port)):
        await _wait_listening(port)
        fake.command("/name Eld 0.7 3")
        (update,) = fake.take_updates()
        status = await post_update(f"http://127.0.0.1:{port}/telegram", update, SECRET)
        assert status == 200
        (reply,) = await fake.wait_sent(1)
        assert str(reply.params["text"]).startswith("english · t=0.7 · starts Eld")
    assert fake.webhook is not None
    assert fake.webhook["url"] == "https://bot.example.com/telegram"
    assert fake.webhook["secret_token"] == SECRET
    # Webhook mode never polls, and a stopping replica leaves the webhook to the others.
    methods = {c.method for c in fake.calls}
    assert "getUpdates" not in methods
    assert "deleteWebhook" not in methods


async def test_a_redelivered_update_is_answered_once(service: Service, fake: FakeTelegram) -> None:
    """Telegram sends an update again when a webhook answer was slow or failed: three posts of
    one update, one reply and one save."""
    port = free_port()
    async with serving(service, webhook_config(fake, port)):
        await _wait_listening(port)
        fake.command("/fav Eldrin")
        (update,) = fake.take_updates()
        for _ in range(3):
            assert await post_update(f"http://127.0.0.1:{port}/telegram", update, SECRET) == 200
        fake.command("/favs")
        (favs,) = fake.take_updates()
        assert await post_update(f"http://127.0.0.1:{port}/telegram", favs, SECRET) == 200
        replies = await fake.wait_sent(2)
        await asyncio.sleep(0.3)  # a third reply, had there been one, would be here by now
    assert [str(r.params["text"]).split(".")[0] for r in fake.sent()] == [
        "⭐ Saved Eldrin", "Your favourites (1), page 1 of 1:\n1",
    ]  # fmt: skip
    assert len(replies) == 2


async def _status_of_headers_alone(port: int, headers: dict[str, str]) -> int:
    """Send a request's headers (declaring a 100 MB body) and not one byte of the body: the
    answer must come anyway."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = ["POST /telegram HTTP/1.1", "Host: bot.example.com", "Content-Length: 104857600"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    await writer.drain()
    status = await asyncio.wait_for(reader.readline(), 10)
    writer.close()
    return int(status.split()[1])


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 403), ({"X-Telegram-Bot-Api-Secret-Token": SECRET}, 413)],
)
async def test_a_big_body_is_refused_before_it_is_read(
    service: Service, fake: FakeTelegram, headers: dict[str, str], status: int
) -> None:
    port = free_port()
    async with serving(service, webhook_config(fake, port)):
        await _wait_listening(port)
        assert await _status_of_headers_alone(port, headers) == status


@pytest.mark.parametrize("secret", [None, "wrong-secret-0123456789abcdef"])
async def test_updates_without_the_secret_are_refused(
    service: Service, fake: FakeTelegram, secret: str | None
) -> None:
    port = free_port()
    async with serving(service, webhook_config(fake, port)):
        await _wait_listening(port)
        fake.command("/start")
        (update,) = fake.take_updates()
        status = await post_update(f"http://127.0.0.1:{port}/telegram", update, secret)
        assert status == 403
        # The same update with the secret is served: the first was refused, not lost in a queue.
        fake.command("/help")
        (good,) = fake.take_updates()
        assert await post_update(f"http://127.0.0.1:{port}/telegram", good, SECRET) == 200
        (reply,) = await fake.wait_sent(1)
    # One sender's updates run in order: had /start been queued, its answer would come first.
    assert reply.params["text"] == texts.help_all(admin=False)


async def test_a_busy_listen_port_is_a_fatal_error_naming_the_variable(
    service: Service, fake: FakeTelegram
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        config = webhook_config(fake, taken.getsockname()[1])
        with warnings.catch_warnings():
            # tornado leaves the socket it failed to bind to the garbage collector.
            warnings.simplefilter("ignore", ResourceWarning)
            with pytest.raises(FatalError, match="NAMESMITH_TELEGRAM_WEBHOOK_LISTEN"):
                await asyncio.wait_for(run(service, config, asyncio.Event()), 30)
            gc.collect()


def test_a_webhook_without_a_secret_is_refused() -> None:
    with pytest.raises(ValidationError, match="required when NAMESMITH_TELEGRAM_WEBHOOK_URL"):
        Config(
            telegram_webhook_url=HttpUrl("https://bot.example.com/telegram"),
            _env_file=None,  # type: ignore[call-arg]
        )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("telegram_webhook_listen", "8443", "write host:port"),
        ("telegram_webhook_listen", "0.0.0.0:99999", "write host:port"),
        ("telegram_webhook_secret", "short", "16 to 256 characters"),
        ("telegram_webhook_secret", "has spaces in it, sixteen+", "16 to 256 characters"),
        ("telegram_webhook_url", "not a url", "URL"),
    ],
)
def test_bad_webhook_settings_are_refused(field: str, value: str, message: str) -> None:
    settings: dict[str, Any] = {
        "telegram_webhook_url": "https://bot.example.com/telegram",
        "telegram_webhook_secret": SECRET,
        field: value,
    }
    with pytest.raises(ValidationError, match=message):
        Config(_env_file=None, **settings)  # type: ignore[call-arg]


def test_the_listen_address_and_secret() -> None:
    config = Config(
        telegram_webhook_url=HttpUrl("https://bot.example.com/hook"),
        telegram_webhook_listen="[::]:8080",
        telegram_webhook_secret=SECRET,  # type: ignore[arg-type]
        _env_file=None,  # type: ignore[call-arg]
    )
    assert config.telegram_webhook_address == ("::", 8080)
    assert SECRET in config.secrets()  # blanked from every log line
    assert Config(_env_file=None).telegram_webhook_address == ("0.0.0.0", 8443)  # type: ignore[call-arg]
