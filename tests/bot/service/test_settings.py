"""/settings and /reset through the service alone: a user's own, and a group's by its admins."""

from __future__ import annotations

import pytest

from bot.service import Service
from tests.bot.builders import GROUP, OTHER, USER, ctx
from tests.bot.conftest import ADMIN


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/settings",
         "Your defaults: style=english temperature=1 count=5 gender=any new=per style"),
        ("/settings temperature=0.8 style=elf count=3 gender=f new=yes",
         "Saved. Your defaults: style=elf temperature=0.8 count=3 gender=female new=yes"),
        ("/settings filter=off", "Saved. Your defaults: style=english temperature=1 count=5 "
         "gender=any new=per style filter=off"),
    ],
)  # fmt: skip
async def test_own_settings(service: Service, text: str, expected: str) -> None:
    reply = await service.on_text(ctx(), text)
    assert reply is not None and reply.private
    assert reply.text == expected


async def test_reset_forgets_them(service: Service) -> None:
    await service.on_text(ctx(), "/settings style=elf")
    reply = await service.on_text(ctx(), "/reset")
    assert reply is not None and "style=english" in reply.text


@pytest.mark.parametrize(
    ("user", "group_admin", "expected"),
    [
        (USER, True, "Saved. This group's defaults: style=elf"),
        (ADMIN, False, "Saved. This group's defaults: style=elf"),  # a bot admin, anywhere
        (OTHER, False, "⚠️ only the group's admins can set its defaults"),
    ],
)
async def test_a_groups_defaults_are_its_admins_to_set(
    service: Service, user: str, group_admin: bool, expected: str
) -> None:
    reply = await service.on_text(
        ctx(user, GROUP, group_admin=group_admin), "/settings chat style=elf"
    )
    assert reply is not None and reply.text.startswith(expected)


async def test_a_members_own_settings_win_over_the_groups(service: Service) -> None:
    await service.on_text(ctx(USER, GROUP, group_admin=True), "/settings chat style=elf count=2")
    await service.on_text(ctx(OTHER), "/settings count=4")
    reply = await service.on_text(ctx(OTHER, GROUP), "/name")
    assert reply is not None and reply.names is not None
    assert reply.names.style == "elf" and len(reply.names.names) == 4


async def test_setting_a_groups_defaults_is_audited(service: Service) -> None:
    await service.on_text(ctx(USER, GROUP, group_admin=True), "/settings chat style=elf")
    (entry,) = await service.store.audit.recent(5)
    assert (entry.actor, entry.action, entry.detail) == (USER, "set_chat_defaults", GROUP)


async def test_a_group_relaxes_the_word_filter_for_its_members(service: Service) -> None:
    await service.on_text(ctx(USER, GROUP, group_admin=True), "/settings chat filter=off")
    reply = await service.on_text(ctx(OTHER, GROUP), "/name")
    assert reply is not None and "unfiltered" in reply.text.splitlines()[0]
