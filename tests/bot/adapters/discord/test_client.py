"""The bot itself, through the real discord.py client against the fake Discord: buttons and menus
for whoever presses them, who may set a server's defaults, the rate limit, deferring slow
answers, delivery through 429s, text commands and shards."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from bot.adapters.discord import client
from bot.service import Service
from tests.bot.adapters.discord.conftest import (
    CALLBACK_DEFERRED,
    CALLBACK_MESSAGE,
    CALLBACK_UPDATE,
    answer,
    buttons,
    menus,
    names,
    running,
)
from tests.fakes.discord import (
    CHANNEL_ID,
    GUILD_ID,
    MESSAGE_CONTENT_INTENT,
    ROLE_ID,
    FakeDiscord,
)

# --- buttons and menus -----------------------------------------------------------------------


async def test_a_save_pressed_by_another_member_saves_to_their_favourites(
    service: Service, fake: FakeDiscord
) -> None:
    async with running(service, fake):
        sent = await answer(fake, fake.slash("name", {"count": 3}, user_id=1))
        first = names(sent)[0]
        saved = await answer(fake, fake.press(sent, buttons(sent)[f"⭐ {first}"], user_id=2))
    assert saved.ephemeral
    assert saved.content == f"⭐ Saved {first}. You have 1 favourite."
    assert await service.store.favourites.count("dc:2") == 1
    assert await service.store.favourites.count("dc:1") == 0


async def test_more_like_this_answers_the_member_who_pressed(
    service: Service, fake: FakeDiscord
) -> None:
    async with running(service, fake):
        sent = await answer(fake, fake.slash("name", {"prefix": "Ma", "count": 3}, user_id=1))
        more = await answer(fake, fake.press(sent, buttons(sent)["🔄 more like this"], user_id=2))
        # The new reply's buttons work for the group; user 2's save goes to user 2.
        again = await answer(
            fake, fake.press(more, buttons(more)[f"⭐ {names(more)[0]}"], user_id=2)
        )
    assert more.type == CALLBACK_MESSAGE and not more.ephemeral
    assert all(n.startswith("Ma") for n in names(more))
    assert not set(names(sent)) & set(names(more))
    assert again.content.startswith(f"⭐ Saved {names(more)[0]}")
    assert (await service.store.stats.snapshot()).users == 2  # names served to 1 and to 2


async def test_style_menu_asks_again_in_that_style(service: Service, fake: FakeDiscord) -> None:
    async with running(service, fake):
        sent = await answer(fake, fake.slash("name", {"prefix": "Ka", "temperature": 0.8}))
        (styles,) = menus(sent)
        value = styles["options"][0]["value"]
        elf = await answer(fake, fake.press(sent, styles["custom_id"], values=[value], user_id=3))
    assert elf.embed["footer"]["text"] == "elf"
    assert elf.embed["fields"][0]["value"] == "t=0.8 · starts Ka"
    assert not elf.ephemeral


async def test_save_menu_saves_every_name_chosen(service: Service, fake: FakeDiscord) -> None:
    async with running(service, fake):
        sent = await answer(fake, fake.slash("name", {"count": 20}, user_id=1))
        save = menus(sent)[0]
        chosen = [o["value"] for o in save["options"][:2]]
        saved = await answer(fake, fake.press(sent, save["custom_id"], values=chosen, user_id=4))
    first, second = names(sent)[:2]
    assert saved.ephemeral
    assert saved.content.splitlines() == [
        f"⭐ Saved {first}. You have 1 favourite.",
        f"⭐ Saved {second}. You have 2 favourites.",
    ]


async def test_choosing_every_name_in_the_menu_is_one_request(
    service_factory: Callable[..., Awaitable[Service]], fake: FakeDiscord
) -> None:
    service = await service_factory(limit=2)  # the /name and the menu: nothing to spare
    async with running(service, fake):
        sent = await answer(fake, fake.slash("name", {"count": 20}, user_id=4))
        save = menus(sent)[0]
        chosen = [o["value"] for o in save["options"]]
        saved = await answer(fake, fake.press(sent, save["custom_id"], values=chosen, user_id=4))
    assert len(saved.content.splitlines()) == 20
    assert all(line.startswith("⭐ Saved") for line in saved.content.splitlines())
    assert await service.store.favourites.count("dc:4") == 20


async def test_a_forged_menu_choice_has_expired(service: Service, fake: FakeDiscord) -> None:
    async with running(service, fake):
        sent = await answer(fake, fake.slash("name", {"count": 20}, user_id=4))
        save = menus(sent)[0]
        forged = ["style:AAAAAAAAAAAAAAAAAAAAAA:elf", "fav:nope:0"]
        reply = await answer(fake, fake.press(sent, save["custom_id"], values=forged, user_id=4))
    assert reply.ephemeral and reply.content == "That button has expired; send the command again."


async def test_one_users_commands_run_in_order(service: Service, fake: FakeDiscord) -> None:
    async with running(service, fake):
        asked = []
        for i in range(10):
            asked.append(fake.slash("fav", {"name": f"Name{i}"}))
            asked.append(fake.slash("unfav", {"name": f"Name{i}"}))
        for interaction in asked:
            await answer(fake, interaction)
        favs = await answer(fake, fake.slash("favs"))
    assert favs.content.startswith("No favourites yet")


async def test_favourite_pages_turn_in_place(service: Service, fake: FakeDiscord) -> None:
    for i in range(12):
        await service.store.favourites.add("dc:1", f"Name{i:02d}", style="english")
    async with running(service, fake):
        page1 = await answer(fake, fake.slash("favs"))
        page2 = await answer(fake, fake.press(page1, buttons(page1)["older ▶"]))
    assert page1.ephemeral and "page 1 of 2" in page1.content
    assert page2.type == CALLBACK_UPDATE  # the same message, edited
    assert "page 2 of 2" in page2.content
    assert list(buttons(page2)) == ["◀ newer"]


async def test_unfav_all_asks_first_and_only_the_asker_confirms(
    service: Service, fake: FakeDiscord
) -> None:
    await service.store.favourites.add("dc:1", "Eldrin", style="english")
    async with running(service, fake):
        ask = await answer(fake, fake.slash("unfav", {"name": "all"}))
        yes = buttons(ask)["Yes, forget all 1"]
        other = await answer(fake, fake.press(ask, yes, user_id=2))
        done = await answer(fake, fake.press(ask, yes, user_id=1))
    assert ask.ephemeral and "Forget all 1 of your favourites?" in ask.content
    assert other.ephemeral and other.content == "That button has expired; send the command again."
    assert done.content == "Forgot all 1 favourite."


async def test_buttons_keep_working_after_a_restart(
    service_factory: Callable[..., Awaitable[Service]], fake: FakeDiscord
) -> None:
    first = await service_factory()
    async with running(first, fake):
        sent = await answer(fake, fake.slash("name", {"count": 3}))
    name = names(sent)[1]
    second = await service_factory()  # a new process: new engine, new bot, same database
    async with running(second, fake):
        saved = await answer(fake, fake.press(sent, buttons(sent)[f"⭐ {name}"]))
    assert saved.content == f"⭐ Saved {name}. You have 1 favourite."
    assert len(fake.identified) == 2


# --- server defaults, admins, limits ---------------------------------------------------------


async def test_server_defaults_need_manage_server_or_the_admin_role(
    service: Service, fake: FakeDiscord
) -> None:
    async with running(service, fake, discord_admin_role="Dungeon Master"):
        refused = await answer(fake, fake.slash("settings", {"style": "elf", "server": True}))
        by_manager = await answer(
            fake,
            fake.slash("settings", {"count": 3, "server": True}, user_id=7, manage_guild=True),
        )
        by_role = await answer(
            fake,
            fake.slash("settings", {"style": "elf", "server": True}, user_id=8, roles=(ROLE_ID,)),
        )
        member = await answer(fake, fake.slash("name", user_id=9))
    assert refused.ephemeral and "only the server's admins" in refused.content
    assert by_manager.content.startswith("Saved. This server's defaults: style=english")
    assert by_role.content.startswith("Saved. This server's defaults: style=elf")
    assert member.embed["footer"]["text"] == "elf" and len(names(member)) == 3
    assert await service.store.settings.chat(f"dc:{GUILD_ID}") is not None


async def test_stats_for_a_bot_admin(service: Service, fake: FakeDiscord) -> None:
    service.admins = frozenset({"dc:999"})
    async with running(service, fake):
        await answer(fake, fake.slash("name", {"count": 4}, user_id=999))
        stats = await answer(fake, fake.slash("stats", user_id=999))
    assert stats.ephemeral and "Names served: 4" in stats.content


async def test_over_the_rate_limit_every_interaction_gets_an_ephemeral_slow_down(
    service_factory: Callable[..., Awaitable[Service]], fake: FakeDiscord
) -> None:
    service = await service_factory(limit=2)
    async with running(service, fake):
        rate = {"name": "Anna"}
        answers = [await answer(fake, fake.slash("rate", rate, user_id=1)) for _ in range(4)]
        other = await answer(fake, fake.slash("rate", rate, user_id=2))
    assert [a.ephemeral for a in answers] == [False, False, True, True]
    assert all(a.content.startswith("Slow down a little") for a in answers[2:])
    assert other.content.startswith("Anna: ")


# --- deferring, delivery ---------------------------------------------------------------------


async def test_slow_answers_are_deferred_then_followed_up(
    service: Service, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client, "DEFER_AFTER", 0.0)  # every answer counts as slow
    async with running(service, fake):
        public = await fake.wait_answer(fake.slash("name", {"prefix": "Eld"}), 2)
        private = await fake.wait_answer(fake.slash("favs"), 2)
        error = await fake.wait_answer(fake.slash("name", {"prefix": "Жук"}), 3)
    assert [s.kind for s in public] == ["callback", "followup"]
    assert public[0].type == CALLBACK_DEFERRED and not public[0].ephemeral
    assert all(n.startswith("Eld") for n in names(public[1]))
    assert private[0].type == CALLBACK_DEFERRED and private[0].ephemeral
    assert private[1].content.startswith("No favourites yet")
    # Deferred in public, answered privately: the public "thinking…" goes away.
    assert [s.kind for s in error] == ["callback", "delete", "followup"]
    assert error[2].ephemeral and error[2].content.startswith("⚠️ ")


async def test_a_429_from_rest_loses_no_reply(service: Service, fake: FakeDiscord) -> None:
    fake.fail_next(r"/interactions/[0-9]+/[^/]+/callback$", 429, retry_after=0.2)
    async with running(service, fake):
        iid = fake.slash("help")
        sent = await answer(fake, iid)
    assert sent.content.startswith("Try /name elf Eld 0.7")
    tries = [p for m, p in fake.requests if p.startswith(f"/interactions/{iid}/")]
    assert len(tries) == 2  # refused once with 429, then delivered


async def test_a_429_on_a_channel_message_loses_no_reply(
    service: Service, fake: FakeDiscord
) -> None:
    fake.fail_next(r"/channels/[0-9]+/messages$", 429, retry_after=0.2)
    async with running(service, fake):
        fake.say("!help", user_id=5)
        (sent,) = await fake.wait_sent(1, "message")
    assert sent.content.startswith("Try /name elf Eld 0.7")
    assert fake.requests.count(("POST", f"/channels/{CHANNEL_ID}/messages")) == 2


async def test_a_reply_discord_refuses_is_counted_as_dropped(
    service: Service, fake: FakeDiscord
) -> None:
    fake.fail_next(r"/channels/[0-9]+/messages$", 403)
    post = ("POST", f"/channels/{CHANNEL_ID}/messages")
    async with running(service, fake):
        fake.say("!help", user_id=5)
        await fake.wait_until(lambda: post in fake.requests)
    # the stop waited for the reply in progress to finish
    dropped = {"platform": "discord"}
    assert service.metrics.registry.get_sample_value("namesmith_sends_dropped_total", dropped) == 1
    assert fake.requests.count(post) == 1


# --- text commands ---------------------------------------------------------------------------


async def test_text_command_with_the_message_content_intent(
    service: Service, fake: FakeDiscord
) -> None:
    async with running(service, fake):
        fake.say("!name Eld 0.7 3", user_id=5)
        (sent,) = await fake.wait_sent(1, "message")
    assert int(fake.identified[0]["intents"]) & MESSAGE_CONTENT_INTENT
    assert sent.embed["fields"][0]["value"] == "t=0.7 · starts Eld"
    assert all(n.startswith("Eld") for n in names(sent)) and len(names(sent)) == 3
    assert sent.body["message_reference"]["fail_if_not_exists"] is False
    assert len(buttons(sent)) == 4


async def test_without_the_intent_text_is_ignored_and_slash_commands_work(
    service: Service,
) -> None:
    fake = FakeDiscord(message_content=False)
    await fake.start()
    try:
        async with running(service, fake):
            fake.say("!name Eld", user_id=5)
            sent = await answer(fake, fake.slash("name", {"prefix": "Eld"}))
    finally:
        await fake.stop()
    assert not int(fake.identified[0]["intents"]) & MESSAGE_CONTENT_INTENT
    assert [s.kind for s in fake.sent] == ["callback"]
    assert all(n.startswith("Eld") for n in names(sent))


# --- shards ----------------------------------------------------------------------------------


async def test_shards_split_the_servers(service: Service, fake: FakeDiscord) -> None:
    # With a shard count set, discord.py connects to the configured gateway (not /gateway/bot).
    async with running(service, fake, discord_shards=2, discord_gateway_url=fake.gateway_url):
        sent = await answer(fake, fake.slash("help"))
        await asyncio.sleep(0.2)  # a second shard answering too would show by now
    assert sorted(i["shard"] for i in fake.identified) == [[0, 2], [1, 2]]
    assert [s.kind for s in fake.sent] == ["callback"]
    assert sent.content.startswith("Try /name elf Eld 0.7")


async def test_markdown_from_users_is_never_rendered(service: Service, fake: FakeDiscord) -> None:
    async with running(service, fake):
        rated = await answer(fake, fake.slash("rate", {"name": "[Nitro](https://x.co/a)"}))
        fake.say("!fav [Click](https://evil.example)", user_id=7)
        (saved,) = await fake.wait_sent(1, "message")
    assert rated.content.startswith("\\[Nitro](https://x.co/a)")  # a bracket, not a masked link
    assert "\\[Click](https://evil.example)" in saved.content
