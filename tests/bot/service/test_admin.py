"""The bot admins' commands through the service alone (training itself: test_retrain_chat)."""

from __future__ import annotations

import pytest

from bot.service import Service
from tests.bot.builders import ctx
from tests.bot.conftest import ADMIN


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/audit", "Nothing in the audit trail yet."),
        ("/retrain status", "No training is running."),
        ("/retrain cancel", "No training is running"),
        ("/rollback", "⚠️ give the style to roll back, e.g. /rollback elf"),
        ("/retrain elf corpus=klingon", "⚠️ no built-in corpus 'klingon'; choose one of:"),
        ("/retrain elf", "Send the names for elf as a .txt file"),
    ],
)
async def test_admin_commands(service: Service, text: str, expected: str) -> None:
    reply = await service.on_text(ctx(ADMIN), text)
    assert reply is not None and reply.text.startswith(expected)


async def test_the_audit_trail_lists_refusals_newest_first(service: Service) -> None:
    await service.on_text(ctx("tg:5"), "/retrain elf corpus=elf")
    await service.on_text(ctx("tg:6"), "/rollback dwarf")
    reply = await service.on_text(ctx(ADMIN), "/audit")
    assert reply is not None and reply.private
    lines = reply.text.splitlines()
    assert lines[0] == "The last admin actions, newest first:"
    assert lines[1].endswith("tg:6: rollback_refused dwarf")
    assert lines[2].endswith("tg:5: retrain_refused elf")


def test_the_corpora_an_admin_may_retrain_from_are_offered(service: Service) -> None:
    assert {"english", "elf", "surnames"} <= set(service.corpora())
