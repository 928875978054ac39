"""Retraining through the service alone: admins are protected from slips, every refusal is in
the audit trail, and every message about an outcome is true. Tiny models: a job takes seconds."""

from __future__ import annotations

import asyncio

import pytest

from bot.actions import Act
from bot.reply import Upload
from bot.service import Service
from bot.service.retrain import edits
from tests.bot.builders import ctx, upload
from tests.bot.conftest import ADMIN


async def _finished(service: Service) -> None:
    assert service.retraining is not None
    job = service.retraining.retrainer.job
    if job is not None:
        await asyncio.wait_for(job.result(), 120)


async def _audit(service: Service) -> list[str]:
    return [
        " ".join(x for x in (e.action, e.style or "", e.detail or "") if x)
        for e in await service.store.audit.recent(20)
    ]


@pytest.mark.parametrize(("a", "b", "n"), [("elf", "elfs", 1), ("elf", "elves", 3),
                                           ("dwarf", "dwraf", 2), ("elf", "gnome", 5)])  # fmt: skip
def test_edits(a: str, b: str, n: int) -> None:
    assert edits(a, b) == n


async def test_a_new_style_named_like_an_existing_one_asks_first(service: Service) -> None:
    asked = await service.on_text(ctx(ADMIN), "/retrain elfs corpus=elf")
    assert asked is not None and asked.text.startswith(
        "elfs would be a new style, named like elf: nothing is trained yet."
    )
    assert service.retraining is not None and service.retraining.retrainer.job is None
    (yes,) = asked.of(Act.CONFIRM)
    assert yes.label == "Yes, create elfs"
    started = await service.on_button(ctx(ADMIN), yes.data)
    assert started is not None and started.text.startswith("Training elfs on ")
    await _finished(service)
    assert "elfs" in service.engine.styles


async def test_only_the_admin_who_asked_confirms(service: Service) -> None:
    asked = await service.on_text(ctx(ADMIN), "/retrain elfs corpus=elf")
    assert asked is not None
    pressed = await service.on_button(ctx("tg:5"), asked.of(Act.CONFIRM)[0].data)
    assert pressed is not None and "expired" in pressed.text
    assert service.retraining is not None and service.retraining.retrainer.job is None


async def test_the_word_new_says_a_new_style_is_meant(service: Service) -> None:
    started = await service.on_text(ctx(ADMIN), "/retrain elfs corpus=elf new")
    assert started is not None and started.text.startswith("Training elfs on ")
    await _finished(service)


async def test_a_refused_second_retrain_is_in_the_audit(service: Service) -> None:
    await service.on_text(ctx(ADMIN), "/retrain elf corpus=elf")
    busy = await service.on_text(ctx(ADMIN), "/retrain english corpus=english")
    assert busy is not None and busy.text.startswith("⚠️ a training is already running: elf")
    await _finished(service)
    assert any(line.startswith("retrain_refused english a training is already running")
               for line in await _audit(service))  # fmt: skip


async def test_an_added_style_can_be_removed_and_a_shipped_one_cannot(service: Service) -> None:
    await service.on_text(ctx(ADMIN), "/retrain gnome corpus=elf")
    await _finished(service)
    assert "gnome" in service.engine.styles
    removed = await service.on_text(ctx(ADMIN), "/retrain remove gnome")
    again = await service.on_text(ctx(ADMIN), "/retrain remove gnome")
    shipped = await service.on_text(ctx(ADMIN), "/retrain remove elf")
    assert removed is not None and removed.text.startswith("Removed gnome: it is no longer served")
    assert "gnome" not in service.engine.styles
    assert again is not None and again.text == "⚠️ there is no added style gnome to remove"
    assert shipped is not None and "elf is a shipped style and cannot be removed" in shipped.text
    assert "retrain_remove gnome" in await _audit(service)


async def test_cancelling_a_new_style_says_no_style_was_made(service: Service) -> None:
    await service.on_text(ctx(ADMIN), "/retrain gnome corpus=elf seconds=60")
    cancelled = await service.on_text(ctx(ADMIN), "/retrain cancel")
    assert cancelled is not None
    assert cancelled.text == "Cancelled: the training stopped cleanly; no style gnome was made."
    await _finished(service)
    assert "gnome" not in service.engine.styles


def _names_file(first: str) -> bytes:
    syllables = ["ka", "ri", "mo", "sel", "dan", "vi", "lor", "ne"]
    names = {f"{first}{a}{b}" for a in syllables for b in syllables}
    return "\n".join(sorted(names)).encode()


async def test_each_question_keeps_its_own_file(service: Service) -> None:
    first = await service.on_text(
        ctx(ADMIN, upload=upload(_names_file("Al"), "a.txt")), "/retrain elff"
    )
    second = await service.on_text(
        ctx(ADMIN, upload=upload(_names_file("Bo"), "b.txt")), "/retrain elv"
    )
    assert first is not None and second is not None
    started = await service.on_button(ctx(ADMIN), first.of(Act.CONFIRM)[0].data)
    assert started is not None and started.text.startswith("Training elff on 64 names from a.txt")
    again = await service.on_button(ctx(ADMIN), first.of(Act.CONFIRM)[0].data)
    assert again is not None and "expired" in again.text  # answered once
    await _finished(service)


async def test_a_refused_removal_or_rollback_is_audited(service: Service) -> None:
    await service.on_text(ctx(ADMIN), "/retrain remove elf")
    await service.on_text(ctx(ADMIN), "/rollback elf")
    lines = await _audit(service)
    assert any(
        line.startswith("retrain_remove_refused elf elf is a shipped style") for line in lines
    )
    assert any(line.startswith("rollback_refused elf nothing to roll back") for line in lines)


async def test_a_file_that_cannot_be_downloaded_is_said_so(service: Service) -> None:
    async def gone() -> bytes:
        raise OSError("404 Not Found")

    lost = Upload("names.txt", 1000, gone)
    reply = await service.on_text(ctx(ADMIN, upload=lost), "/retrain gnome")
    assert reply is not None
    assert (
        reply.text == "⚠️ 'names.txt' could not be downloaded (it may have expired); send it again"
    )
