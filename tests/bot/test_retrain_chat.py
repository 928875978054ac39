"""Retraining a style from chat: admins only, uploads checked before training, the bot answers
everyone meanwhile, and the new model serves at once (tiny network, step budgets: seconds)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.adapters import console
from bot.reply import Context, Upload
from bot.service import Service
from engine.corpora import corpus
from tests.bot.conftest import ADMIN, running
from tests.fakes.telegram import FakeTelegram

ADMIN_ID = int(ADMIN.removeprefix("tg:"))


def _names_file(n: int = 300) -> bytes:
    names = corpus.load("english").names[:n]
    return "".join(f"{name}\n" for name in names).encode("utf-8")


async def _until(fake: FakeTelegram, chat: int, starts: str, method: str = "sendMessage") -> str:
    """The text (or caption) of the first message to `chat` starting with `starts`."""
    for _ in range(1200):
        for call in fake.sent(method):
            text = str(call.params.get("text") or call.params.get("caption") or "")
            if call.params["chat_id"] == chat and text.startswith(starts):
                return text
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {method} to {chat} starting {starts!r}")


async def test_a_non_admin_is_refused_and_audited(service: Service, fake: FakeTelegram) -> None:
    async with running(service, fake):
        fake.command("/retrain elf corpus=elf", user_id=5)
        fake.command("/rollback elf", user_id=5)
        replies = await fake.wait_sent(2)
    assert replies[0].params["text"] == "⚠️ /retrain is for the bot's admins"
    assert replies[1].params["text"] == "⚠️ /rollback is for the bot's admins"
    audit = await service.store.audit.recent(5)
    assert [(e.actor, e.action) for e in audit] == [
        ("tg:5", "rollback_refused"),
        ("tg:5", "retrain_refused"),
    ]


def _upload(data: bytes, size: int | None = None) -> tuple[Upload, list[int]]:
    fetched: list[int] = []

    async def fetch() -> bytes:
        fetched.append(1)
        return data

    return Upload("names.txt", len(data) if size is None else size, fetch), fetched


@pytest.mark.parametrize(
    ("data", "size", "reason"),
    [
        (b"", None, "is empty"),
        (b"\x00\x01\x02binary" * 20, None, "this is not a text file (a NUL byte on line 1)"),
        (b"", 10 * 2**20, "the file is 10.0 MB; the limit is 2 MB (nothing was downloaded)"),
        (b"Ann\nBob\nCid\n", None, "3 names"),
        ("\n".join(f"Zoë{i}" for i in range(80)).encode("latin-1"), None, "UTF-8"),
        (b"Ann\n" + b"x" * 5000 + b"\n", None, "line 2 is 5,000 characters long"),
    ],
)
async def test_bad_uploads_are_refused_before_training(
    service: Service, data: bytes, size: int | None, reason: str
) -> None:
    upload, fetched = _upload(data, size)
    ctx = Context(user=ADMIN, platform="telegram", upload=upload)
    reply = await service.on_text(ctx, "/retrain gnome")
    assert reply is not None
    assert reply.text.startswith("⚠️ ")
    assert reason in reply.text
    assert service.retraining is not None and service.retraining.retrainer.status() is None
    assert fetched == ([] if size else [1])


async def test_a_retrain_from_a_telegram_upload_adopts_and_serves_a_new_style(
    service: Service, fake: FakeTelegram
) -> None:
    async with running(service, fake):
        fake.document(_names_file(), caption="/retrain gnome seconds=30", user_id=ADMIN_ID)
        started = await _until(fake, ADMIN_ID, "Training gnome on 300 names")
        done = await _until(fake, ADMIN_ID, "✅ gnome: adopted as a new style", "sendPhoto")
        fake.command("/name style=gnome 3", user_id=ADMIN_ID)
        served = await _until(fake, ADMIN_ID, "gnome ·")
    assert "from names.txt for 30 s (a new style)" in started
    assert "samples: " in done
    assert fake.downloads == 1
    (photo,) = fake.sent("sendPhoto")
    assert photo.files["photo"][:8] == b"\x89PNG\r\n\x1a\n"
    assert len(served.splitlines()) >= 2
    actions = [e.action for e in await service.store.audit.recent(5)]
    assert actions == ["retrain_adopted", "retrain_started"]


async def test_a_bare_retrain_asks_for_the_file(service: Service, fake: FakeTelegram) -> None:
    async with running(service, fake):
        fake.command("/retrain gnome", user_id=ADMIN_ID)
        asked = await _until(fake, ADMIN_ID, "Send the names for gnome as a .txt file")
        fake.document(_names_file(), user_id=ADMIN_ID)  # no caption: the file it asked for
        await _until(fake, ADMIN_ID, "Training gnome on 300 names")
        await _until(fake, ADMIN_ID, "✅ gnome", "sendPhoto")
    assert "send it as your next message here" in asked


async def test_names_keep_coming_while_a_style_trains_and_cancel_stops_it(
    service_factory: Callable[..., Awaitable[Service]], fake: FakeTelegram
) -> None:
    service = await service_factory(train_steps=100_000)  # bounded by its time budget only
    assert service.retraining is not None
    async with running(service, fake):
        fake.command("/retrain english corpus=english seconds=300", user_id=ADMIN_ID)
        await _until(fake, ADMIN_ID, "Training english on")
        for _ in range(600):  # until the child is past start-up
            status = service.retraining.retrainer.status()
            if status is not None and status.phase == "training" and status.step:
                break
            await asyncio.sleep(0.1)
        fake.command("/name Eld 3", user_id=2)
        names = await _until(fake, 2, "english ·")
        fake.command("/retrain status", user_id=ADMIN_ID)
        status_line = await _until(fake, ADMIN_ID, "⏳ english for tg:999")
        fake.command("/retrain elf corpus=elf", user_id=ADMIN_ID)
        busy = await _until(fake, ADMIN_ID, "⚠️ a training is already running: english")
        fake.command("/retrain cancel", user_id=ADMIN_ID)
        cancelled = await _until(fake, ADMIN_ID, "Cancelled: the training stopped cleanly")
    assert all(n.startswith("Eld") for n in names.splitlines()[1:] if not n.startswith("("))
    assert "(training)" in status_line
    assert "english for tg:999" in busy
    assert cancelled
    assert service.engine.model("english") is not None  # the old model serves on


async def test_rollback_and_audit(service: Service, fake: FakeTelegram) -> None:
    async with running(service, fake):
        fake.command("/rollback elf", user_id=ADMIN_ID)
        nothing = await _until(fake, ADMIN_ID, "⚠️ nothing to roll back for elf")
        old = service.engine.model("elf")
        fake.command("/retrain elf corpus=elf force", user_id=ADMIN_ID)
        await _until(fake, ADMIN_ID, "✅ elf: adopted", "sendPhoto")
        assert service.engine.model("elf") is not old
        fake.command("/rollback elf", user_id=ADMIN_ID)
        rolled = await _until(fake, ADMIN_ID, "Rolled back: elf")
        fake.command("/audit", user_id=ADMIN_ID)
        audit = await _until(fake, ADMIN_ID, "The last admin actions")
    assert nothing
    assert rolled == "Rolled back: elf is served by its previous model again."
    assert service.engine.model("elf").corpus_fingerprint == old.corpus_fingerprint
    assert "tg:999: rollback elf" in audit
    assert "retrain_adopted elf" in audit


async def test_the_console_retrains_from_a_file_path(
    service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the console saves the result's picture where it runs
    names = tmp_path / "gnomes.txt"
    names.write_bytes(_names_file())
    service.admins = frozenset({console.USER})
    stdin = io.StringIO(f"/retrain gnome file={names}\n/retrain status\n")
    out = io.StringIO()
    await console.run(service, stdin=stdin, stdout=out)
    assert service.retraining is not None
    job = service.retraining.retrainer.job
    if job is not None:
        await job.result()
    await asyncio.sleep(0.2)  # the follow-up prints the result
    text = out.getvalue()
    assert "Training gnome on 300 names from gnomes.txt" in text
    assert "gnome" in service.engine.styles
    assert "(picture saved as gnome-training.png)" in text
    assert (tmp_path / "gnome-training.png").read_bytes()[:4] == b"\x89PNG"
