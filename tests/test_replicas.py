"""Two `namesmith run` processes, one PostgreSQL database, one bot: Telegram updates arrive as
webhooks, the test playing Telegram (and the load balancer) by POSTing each update to one
replica or the other. Both replicas answer through one fake Bot API.

The replicas start once for the module (starting two processes with the shipped models is the
slow part); each test uses its own users. The SIGKILL test comes last: it kills replica 0.
The replicas share one models folder, as the compose profile's replicas share a volume.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from engine.serving import checkpoint
from engine.serving.modelstore import ModelStore
from engine.serving.trained import NameModel
from tests.fakes.telegram import TOKEN, Call, FakeTelegram, post_update
from tests.storage.pgserver import PASSWORD, PgServer

pytestmark = pytest.mark.asyncio(loop_scope="module")

NAMESMITH = Path(sys.executable).parent / "namesmith"
SECRET = "replica-test-secret-0123456789"
RATE_LIMIT = 5  # per user, per RATE_PERIOD: long enough that nothing refills during the tests
RATE_PERIOD = 600
ADMIN = 700


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Replica:
    proc: asyncio.subprocess.Process
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Cluster:
    fake: FakeTelegram
    replicas: list[Replica]
    database: str
    models: Path  # NAMESMITH_MODELS_DIR of both replicas

    async def post(self, replica: int, update: dict[str, Any]) -> int:
        return await post_update(self.replicas[replica].url, update, SECRET)

    async def command(self, replica: int, text: str, user_id: int) -> None:
        """A message from `user_id`, delivered to one replica."""
        self.fake.command(text, user_id=user_id)
        (update,) = self.fake.take_updates()
        assert await self.post(replica, update) == 200

    async def press(self, replica: int, data: str, user_id: int) -> None:
        self.fake.press(data, user_id=user_id)
        (update,) = self.fake.take_updates()
        assert await self.post(replica, update) == 200

    async def replies(self, chat_id: int, n: int) -> list[Call]:
        """Wait for the first `n` messages sent to `chat_id`."""
        await self.fake.wait_until(lambda: len(self.to(chat_id)) >= n, f"{n} replies to {chat_id}")
        return self.to(chat_id)[:n]

    def to(self, chat_id: int) -> list[Call]:
        return [c for c in self.fake.sent() if c.params["chat_id"] == chat_id]

    async def logged(self, pattern: str, n: int) -> None:
        """Wait (up to 30 s) until the replicas' logs together hold `n` lines matching `pattern`."""
        for _ in range(1500):
            if sum(len(re.findall(pattern, r.log_text())) for r in self.replicas) >= n:
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"fewer than {n} log lines match {pattern!r}")


async def _wait_listening(replica: Replica) -> None:
    async with asyncio.timeout(90):
        while True:
            if replica.proc.returncode is not None:
                raise AssertionError(f"replica exited at start:\n{replica.log_text()}")
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", replica.port)
            except OSError:
                await asyncio.sleep(0.1)
                continue
            writer.close()
            await writer.wait_closed()
            return


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def cluster(
    pg_server: PgServer, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Cluster]:
    tmp = tmp_path_factory.mktemp("replicas")
    admin = await asyncpg.connect(pg_server.url("postgres"))
    try:
        await admin.execute('CREATE DATABASE "replicas"')
    finally:
        await admin.close()
    database = pg_server.url("replicas")
    models = tmp / "models"
    fake = FakeTelegram()
    await fake.start()
    replicas: list[Replica] = []
    for i in range(2):
        port = _free_port()
        env = {
            **os.environ,
            "NAMESMITH_TELEGRAM_TOKEN": TOKEN,
            "NAMESMITH_TELEGRAM_API_URL": fake.base_url,
            "NAMESMITH_TELEGRAM_FILE_URL": fake.base_file_url,
            "NAMESMITH_TELEGRAM_OVERALL_RATE": "10000",
            "NAMESMITH_TELEGRAM_WEBHOOK_URL": "https://bot.example.com/telegram",
            "NAMESMITH_TELEGRAM_WEBHOOK_LISTEN": f"127.0.0.1:{port}",
            "NAMESMITH_TELEGRAM_WEBHOOK_SECRET": SECRET,
            "NAMESMITH_DATABASE": database,
            "NAMESMITH_MODELS_DIR": str(models),
            "NAMESMITH_ADMINS": f"tg:{ADMIN}",
            "NAMESMITH_RATE_LIMIT": str(RATE_LIMIT),
            "NAMESMITH_RATE_PERIOD": str(RATE_PERIOD),
            "NAMESMITH_SAMPLING_THREADS": "1",
            "NAMESMITH_LOG_LEVEL": "INFO",
        }
        log = tmp / f"replica-{i}.log"
        with log.open("wb") as err:
            proc = await asyncio.create_subprocess_exec(
                str(NAMESMITH), "run", env=env, cwd=tmp, stderr=err
            )
        replicas.append(Replica(proc, port, log))
    try:
        await asyncio.gather(*(_wait_listening(r) for r in replicas))
        yield Cluster(fake, replicas, database, models)
    finally:
        for r in replicas:
            if r.proc.returncode is None:
                r.proc.send_signal(signal.SIGTERM)
        for r in replicas:
            await asyncio.wait_for(r.proc.wait(), 60)
        await fake.stop()
    for r in replicas:
        text = r.log_text()
        assert TOKEN.split(":")[1] not in text
        assert PASSWORD not in text
        assert SECRET not in text


def _buttons(call: Call) -> dict[str, str]:
    markup = call.params.get("reply_markup") or {"inline_keyboard": []}
    if isinstance(markup, str):
        markup = json.loads(markup)
    return {b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row}


async def test_both_replicas_set_the_webhook_and_serve(cluster: Cluster) -> None:
    hooks = cluster.fake.sent("setWebhook")
    assert len(hooks) == 2
    assert {h.params["secret_token"] for h in hooks} == {SECRET}
    await cluster.command(0, "/start", user_id=100)
    await cluster.command(1, "/start", user_id=101)
    (a,) = await cluster.replies(100, 1)
    (b,) = await cluster.replies(101, 1)
    assert a.params["text"] == b.params["text"]
    assert "Hi!" in a.params["text"]


async def test_a_favourite_saved_through_one_is_listed_through_the_other(
    cluster: Cluster,
) -> None:
    await cluster.command(0, "/fav Eldrin", user_id=200)
    (saved,) = await cluster.replies(200, 1)
    assert saved.params["text"].startswith("⭐ Saved Eldrin.")
    await cluster.command(1, "/favs", user_id=200)
    listed = (await cluster.replies(200, 2))[1]
    assert "\n1. Eldrin" in listed.params["text"]  # tagged with whichever style fits best


async def test_a_button_from_one_replica_works_on_the_other(cluster: Cluster) -> None:
    await cluster.command(0, "/name Ka 0.8 3", user_id=300)
    (names,) = await cluster.replies(300, 1)
    buttons = _buttons(names)
    save = next(caption for caption in buttons if caption.startswith("⭐ "))
    await cluster.press(1, buttons[save], user_id=300)
    await cluster.press(1, buttons["🔄 more like this"], user_id=300)
    more = (await cluster.replies(300, 2))[1]
    await cluster.fake.wait_until(lambda: bool(cluster.fake.popups()), "the ⭐ pop-up")
    assert cluster.fake.popups()[0].startswith(f"⭐ Saved {save.removeprefix('⭐ ')}.")
    assert more.params["text"].startswith("english · t=0.8 · starts Ka")


async def test_a_flood_split_across_replicas_is_limited_once(cluster: Cluster) -> None:
    user = 400
    flood = 3 * RATE_LIMIT
    for _ in range(flood):
        cluster.fake.command("/help", user_id=user)
    updates = cluster.fake.take_updates()
    statuses = await asyncio.gather(*(cluster.post(i % 2, u) for i, u in enumerate(updates)))
    assert set(statuses) == {200}
    await cluster.logged(r"command=help outcome=(ok|rate_limited)", flood)
    answers = [c.params["text"] for c in cluster.to(user)]
    slow = [t for t in answers if t.startswith("Slow down")]
    assert len(answers) == RATE_LIMIT + 1  # the allowed ones and one "slow down"
    assert len(slow) == 1


async def _served_by_each(cluster: Cluster, style: str, description: str, times: int) -> None:
    """Wait (up to 30 s) until every replica has logged `times` swaps to this model."""
    pattern = rf"style {style} now served by \S+ \({description}\)"
    for _ in range(1500):
        if all(len(re.findall(pattern, r.log_text())) >= times for r in cluster.replicas):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"not every replica serves {style} by {description}")


async def test_a_model_adopted_or_rolled_back_on_one_replica_is_served_by_both(
    cluster: Cluster, tiny_model: NameModel, tmp_path: Path
) -> None:
    """A new style adopted into the shared models folder (as /retrain does on one replica) is
    answered by both within seconds; a /rollback through replica 0 is served by replica 1."""

    def version(description: str) -> bytes:
        path = tmp_path / f"{description}.pt"
        return checkpoint.save(replace(tiny_model, description=description), path).read_bytes()

    store = ModelStore(cluster.models)
    await asyncio.to_thread(store.adopt, "watched", version("watched-v1"))
    await _served_by_each(cluster, "watched", "watched-v1", 1)
    for replica, user in enumerate((500, 501)):
        await cluster.command(replica, "/name style=watched", user_id=user)
        (reply,) = await cluster.replies(user, 1)
        assert reply.params["text"].startswith("watched · ")

    await asyncio.to_thread(store.adopt, "watched", version("watched-v2"))
    await _served_by_each(cluster, "watched", "watched-v2", 1)
    await cluster.command(0, "/rollback watched", user_id=ADMIN)
    (rolled,) = await cluster.replies(ADMIN, 1)
    assert rolled.params["text"].startswith("Rolled back: watched")
    await _served_by_each(cluster, "watched", "watched-v1", 2)
    await cluster.command(1, "/styles", user_id=ADMIN)
    styles = (await cluster.replies(ADMIN, 2))[1].params["text"]
    assert "— watched-v1" in styles
    assert "watched-v2" not in styles


async def test_sigkill_of_one_replica_loses_no_acknowledged_write(cluster: Cluster) -> None:
    """Users save names through both replicas; replica 0 is killed mid-stream. Every name whose
    "Saved" reply went out is in the database, and replica 1 goes on serving."""
    users = range(1000, 1040)

    def name(user: int) -> str:
        return f"Tor{chr(97 + user % 26)}{chr(97 + user // 26 % 26)}"

    for u in users:
        cluster.fake.command(f"/fav {name(u)}", user_id=u)
    updates = cluster.fake.take_updates()

    async def deliver(replica: int, update: dict[str, Any]) -> int | None:
        try:
            return await cluster.post(replica, update)
        except OSError:  # aiohttp's connection errors: the replica is gone
            return None

    sending = [asyncio.create_task(deliver(i % 2, u)) for i, u in enumerate(updates)]
    await cluster.fake.wait_until(
        lambda: sum(c.params["text"].startswith("⭐ Saved") for c in cluster.fake.sent()) >= 6,
        "the first names saved",
    )
    killed = cluster.replicas[0]
    killed.proc.send_signal(signal.SIGKILL)
    await killed.proc.wait()
    await asyncio.gather(*sending)

    # Replica 1 answers everything sent to it (its half of the users) ...
    for u in users[1::2]:
        await cluster.replies(u, 1)
    # ... and goes on serving after its peer died.
    await cluster.command(1, "/favs", user_id=users[1])
    assert "1. " in (await cluster.replies(users[1], 2))[1].params["text"]

    acknowledged = {
        c.params["chat_id"]
        for c in cluster.fake.sent()
        if c.params["chat_id"] in users and c.params["text"].startswith("⭐ Saved")
    }
    conn = await asyncpg.connect(cluster.database)
    try:
        rows = await conn.fetch(
            "SELECT user_key, name FROM favourites WHERE user_key LIKE 'tg:10__'"
        )
    finally:
        await conn.close()
    stored = {(r["user_key"], r["name"]) for r in rows}
    assert {(f"tg:{u}", name(u)) for u in acknowledged} <= stored
    assert killed.proc.returncode == -signal.SIGKILL
