"""Retraining from Discord: the /retrain, /rollback and /audit slash commands (a file as an
attachment option) and `!retrain` with the file attached, through the real discord.py client
against the fake Discord; a tiny network and step budgets keep a training to seconds."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.service import Service
from bot.service import retrain as retraining
from engine.corpora import corpus
from tests.bot.adapters.discord.conftest import answer, names, running
from tests.fakes.discord import CHANNEL_ID, FakeDiscord, FakeFile, Sent

ADMIN_ID = 999
ADMIN = f"dc:{ADMIN_ID}"
SLOW = 120.0  # seconds a training may take on a loaded 2-core machine


@pytest.fixture
def admin(service: Service) -> Service:
    service.admins = frozenset({ADMIN})
    return service


def _names_file(n: int = 300) -> FakeFile:
    names = corpus.load("english").names[:n]
    return FakeFile("".join(f"{name}\n" for name in names).encode("utf-8"))


async def _reply(fake: FakeDiscord, interaction: int) -> Sent:
    """The answer with content (after a deferral, the follow-up)."""

    def found() -> list[Sent]:
        return [s for s in fake.answers(interaction) if s.content]

    await fake.wait_until(lambda: bool(found()))
    return found()[0]


async def _posted(fake: FakeDiscord, starts: str, kind: str = "message") -> Sent:
    """The first channel message (or edit of one) starting with `starts`."""

    def found() -> list[Sent]:
        return [s for s in fake.sent if s.kind == kind and s.content.startswith(starts)]

    await fake.wait_until(lambda: bool(found()), seconds=SLOW)
    return found()[0]


# --- who may ---------------------------------------------------------------------------------


async def test_a_non_admin_is_refused_and_audited_and_nothing_is_downloaded(
    admin: Service, fake: FakeDiscord
) -> None:
    async with running(admin, fake):
        retrain = await answer(
            fake, fake.slash("retrain", {"style": "gnome", "file": _names_file()}, user_id=5)
        )
        rollback = await answer(fake, fake.slash("rollback", {"style": "elf"}, user_id=5))
        audit = await answer(fake, fake.slash("audit", user_id=5))
    assert retrain.ephemeral and retrain.content == "⚠️ /retrain is for the bot's admins"
    assert rollback.ephemeral and rollback.content == "⚠️ /rollback is for the bot's admins"
    assert audit.ephemeral and audit.content == "⚠️ /audit is for the bot's admins"
    assert fake.downloads == 0
    entries = await admin.store.audit.recent(5)
    assert [(e.actor, e.action, e.style) for e in entries] == [
        ("dc:5", "rollback_refused", "elf"),
        ("dc:5", "retrain_refused", "gnome"),
    ]


# --- what is refused before training -----------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "reason", "downloads"),
    [
        (FakeFile(b"Ann\nBob\nCid\n"), "3 names", 1),
        (FakeFile(b"Ann\n" * 10, size=10 * 2**20), "the file is 10.0 MB; the limit is 2 MB", 0),
        (FakeFile(b"\x00\x01\x02binary" * 20), "this is not a text file", 1),
    ],
)
async def test_a_bad_attachment_is_refused_with_the_reason(
    admin: Service, fake: FakeDiscord, file: FakeFile, reason: str, downloads: int
) -> None:
    async with running(admin, fake):
        sent = await _reply(
            fake, fake.slash("retrain", {"style": "gnome", "file": file}, user_id=ADMIN_ID)
        )
    assert sent.ephemeral
    assert sent.content.startswith("⚠️ ") and reason in sent.content
    assert fake.downloads == downloads  # a declared 10 MB is refused before any download
    assert admin.retraining is not None and admin.retraining.retrainer.status() is None


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, "give the style to train"),
        ({"style": "Élf"}, "'Élf' cannot be a style name"),
        ({"action": "status", "style": "elf"}, "/retrain status takes nothing more"),
        ({"action": "cancel", "force": True}, "/retrain cancel takes nothing more"),
    ],
)
async def test_retrain_options_are_checked_by_the_grammar(
    admin: Service, fake: FakeDiscord, options: dict[str, Any], expected: str
) -> None:
    async with running(admin, fake):
        sent = await answer(fake, fake.slash("retrain", options, user_id=ADMIN_ID))
    assert sent.ephemeral and sent.content.startswith("⚠️ ") and expected in sent.content


async def test_built_in_corpora_are_offered(admin: Service, fake: FakeDiscord) -> None:
    async with running(admin, fake):
        sent = await answer(fake, fake.autocomplete("retrain", "corpus", "elf"))
    assert [c["value"] for c in sent.data["choices"]] == ["elf", "dnd-elf"]


# --- a real training ---------------------------------------------------------------------------


async def test_an_attachment_trains_a_new_style_that_then_serves(
    admin: Service, fake: FakeDiscord
) -> None:
    async with running(admin, fake):
        started = await _reply(
            fake,
            fake.slash(
                "retrain",
                {"style": "gnome", "file": _names_file(), "seconds": 30},
                user_id=ADMIN_ID,
            ),
        )
        done = await _posted(fake, "✅ gnome: adopted as a new style")
        served = await answer(fake, fake.slash("name", {"style": "gnome", "count": 3}))
    assert started.ephemeral
    assert started.content.startswith("Training gnome on 300 names from names.txt for 30 s")
    assert fake.downloads == 1
    assert int(done.body.get("channel_id", CHANNEL_ID)) == CHANNEL_ID
    assert "samples: " in done.content
    (png,) = done.files.values()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert served.embed["footer"]["text"] == "gnome" and len(names(served)) == 3
    actions = [e.action for e in await admin.store.audit.recent(5)]
    assert actions == ["retrain_adopted", "retrain_started"]


async def test_a_channel_the_bot_may_not_post_in_loses_only_the_messages(
    service_factory: Callable[..., Awaitable[Service]],
    fake: FakeDiscord,
    caplog: pytest.LogCaptureFixture,
) -> None:
    service = await service_factory(train_steps=20)
    service.admins = frozenset({ADMIN})
    assert service.retraining is not None
    fake.fail_next(r"/channels/[0-9]+/messages$", 403, times=10)  # no Send Messages here
    async with running(service, fake):
        await _reply(
            fake, fake.slash("retrain", {"style": "gnome", "file": _names_file()}, user_id=ADMIN_ID)
        )
        job = service.retraining.retrainer.job
        assert job is not None
        await asyncio.wait_for(job.result(), SLOW)
        for _ in range(int(SLOW * 10)):  # until the result could not be posted
            if any("cannot post in channel" in r.getMessage() for r in caplog.records):
                break
            await asyncio.sleep(0.1)
        served = await answer(fake, fake.slash("name", {"style": "gnome", "count": 2}))
    warning = next(r for r in caplog.records if "cannot post in channel" in r.getMessage())
    assert warning.levelname == "WARNING" and "HTTP 403" in warning.getMessage()
    assert not [s for s in fake.sent if s.kind == "message"]
    assert served.embed["footer"]["text"] == "gnome"  # adopted all the same


async def test_status_while_training_then_cancel(
    service_factory: Callable[..., Awaitable[Service]],
    fake: FakeDiscord,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(retraining, "EDIT_EVERY", 0.0)  # every progress report is shown
    service = await service_factory(train_steps=100_000)  # bounded by its time budget only
    service.admins = frozenset({ADMIN})
    assert service.retraining is not None
    async with running(service, fake):
        await _reply(
            fake,
            fake.slash(
                "retrain",
                {"style": "english", "corpus": "english", "seconds": 300},
                user_id=ADMIN_ID,
            ),
        )
        progress = await _posted(fake, "⏳ english for dc:999")
        await _posted(fake, "⏳ english for dc:999", kind="message_edit")  # the same one, edited
        status = await _reply(fake, fake.slash("retrain", {"action": "status"}, user_id=ADMIN_ID))
        busy = await _reply(
            fake, fake.slash("retrain", {"style": "elf", "corpus": "elf"}, user_id=ADMIN_ID)
        )
        member = await answer(fake, fake.slash("name", {"prefix": "Eld", "count": 3}, user_id=2))
        cancelled = await _reply(
            fake, fake.slash("retrain", {"action": "cancel"}, user_id=ADMIN_ID)
        )
        ended = await _posted(fake, "🛑 english")
        await _posted(fake, "⏹ english: the training ended", kind="message_edit")  # closed
    assert status.ephemeral and status.content.startswith("⏳ english for dc:999")
    assert busy.ephemeral and "a training is already running: english" in busy.content
    assert all(n.startswith("Eld") for n in names(member))
    assert cancelled.ephemeral
    assert cancelled.content.startswith("Cancelled: the training stopped cleanly")
    assert ended.content.startswith("🛑 english: cancelled by dc:999")
    edits = [s for s in fake.sent if s.kind == "message_edit"]
    assert progress.message is not None
    assert {s.message["id"] for s in edits if s.message} == {progress.message["id"]}
    assert "english" in service.engine.styles  # the old model serves on


async def test_rollback_with_nothing_to_roll_back_and_the_audit(
    admin: Service, fake: FakeDiscord
) -> None:
    async with running(admin, fake):
        await answer(fake, fake.slash("retrain", {"style": "elf"}, user_id=5))  # refused
        nothing = await answer(fake, fake.slash("rollback", {"style": "elf"}, user_id=ADMIN_ID))
        audit = await answer(fake, fake.slash("audit", user_id=ADMIN_ID))
    assert nothing.ephemeral
    assert nothing.content == "⚠️ nothing to roll back for elf: no earlier model is kept"
    assert audit.ephemeral and "dc:5: retrain_refused elf" in audit.content


# --- text commands -----------------------------------------------------------------------------


async def test_a_text_retrain_reads_the_attached_file(admin: Service, fake: FakeDiscord) -> None:
    async with running(admin, fake):
        fake.say("!retrain gnome", user_id=ADMIN_ID, files=(FakeFile(b"Ann\nBob\nCid\n"),))
        (refused,) = await fake.wait_sent(1, "message")
        big = FakeFile(b"x", size=10 * 2**20)
        fake.say("!retrain gnome", user_id=ADMIN_ID, files=(big,))
        too_big = (await fake.wait_sent(2, "message"))[1]
    assert refused.content.startswith("⚠️ that file cannot be used") and "3 names" in refused.content
    assert too_big.content.startswith("⚠️ the file is 10.0 MB")
    assert fake.downloads == 1


async def test_a_file_sent_after_a_bare_retrain_is_the_one_it_asked_for(
    admin: Service, fake: FakeDiscord
) -> None:
    async with running(admin, fake):
        fake.say("!retrain gnome", user_id=ADMIN_ID)
        (asked,) = await fake.wait_sent(1, "message")
        fake.say("here they are", user_id=5, files=(FakeFile(b"Ann\n"),))  # not the admin's
        fake.say("", user_id=ADMIN_ID, files=(FakeFile(b"Ann\nBob\nCid\n"),))
        refused = (await fake.wait_sent(2, "message"))[1]
    assert asked.content.startswith("Send the names for gnome as a .txt file")
    assert "3 names" in refused.content
    assert fake.downloads == 1  # only the admin's file was read
