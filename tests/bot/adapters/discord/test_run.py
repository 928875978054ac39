"""Starting and stopping the Discord bot, and syncing its commands: every way it cannot start is
one fatal line, never a traceback; `namesmith run` serves Discord alone and stops cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from bot.adapters.discord import run as discord_run
from bot.errors import FatalError
from bot.service import Service
from tests.bot.adapters.discord.conftest import answer, config_for, running
from tests.bot.conftest import Reports
from tests.fakes.discord import GUILD_ID, TOKEN, FakeDiscord

NAMESMITH = Path(sys.executable).parent / "namesmith"


# --- start and stop --------------------------------------------------------------------------


async def test_a_rejected_token_is_one_fatal_line(service: Service, fake: FakeDiscord) -> None:
    fake.token = "another-token"
    with pytest.raises(FatalError) as caught:
        async with running(service, fake):
            pass
    assert "Discord rejected the bot token (NAMESMITH_DISCORD_TOKEN)" in str(caught.value)
    assert TOKEN not in str(caught.value)


async def test_an_unreachable_api_is_fatal_after_retries(
    service: Service, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(discord_run, "START_ATTEMPTS", 1)
    await fake.stop()  # nothing listens on its port any more
    with pytest.raises(FatalError, match="cannot reach the Discord API after 1 tries"):
        async with running(service, fake):
            pass


async def test_a_token_revoked_while_running_is_fatal(service: Service, fake: FakeDiscord) -> None:
    with pytest.raises(FatalError, match="rejected the bot token while running"):
        async with running(service, fake) as bot:
            await fake.disconnect(4004)
            await asyncio.wait_for(bot, 20)  # it stops on its own


async def test_an_unreachable_gateway_is_fatal_after_retries(
    service: Service, fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(discord_run, "START_ATTEMPTS", 1)
    fake.advertised_gateway = "ws://127.0.0.1:9/nowhere"  # nothing listens there
    with pytest.raises(FatalError, match="cannot reach the Discord gateway after 1 tries"):
        async with running(service, fake):
            pass


async def test_connected_once_ready_while_the_gateway_holds_and_not_after_stop(
    service: Service, fake: FakeDiscord, reports: Reports
) -> None:
    service.metrics.expect("discord")  # as `namesmith run` does first
    async with running(service, fake):
        assert service.metrics.platforms() == {"discord": True}
        reports.seen.clear()
        await fake.disconnect(4000)  # a close discord.py resumes from: down, then up again
        await reports.until(reports.down_then_up)
        assert service.metrics.platforms() == {"discord": True}
    assert service.metrics.platforms() == {"discord": False}


def _env(fake: FakeDiscord, tmp_path: Path) -> dict[str, str]:
    """`namesmith` configured from the environment alone, for the fake Discord."""
    return {k: v for k, v in os.environ.items() if not k.startswith("NAMESMITH_")} | {
        "NAMESMITH_DISCORD_TOKEN": TOKEN,
        "NAMESMITH_DISCORD_API_URL": fake.api_url,
        "NAMESMITH_DISCORD_GATEWAY_URL": fake.gateway_url,
        "NAMESMITH_DATABASE": str(tmp_path / "db.sqlite3"),
        "NAMESMITH_MODELS_DIR": str(tmp_path / "models"),
        "NAMESMITH_LOG_LEVEL": "DEBUG",
    }


async def _namesmith(env: dict[str, str], cwd: Path, *args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        str(NAMESMITH), *args, env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_run_with_a_rejected_token_exits_1_with_one_line(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    fake.token = "another-token"
    code, _, err = await _namesmith(_env(fake, tmp_path), tmp_path, "run")
    assert code == 1
    last = err.strip().splitlines()[-1]
    assert last.startswith("namesmith: Discord rejected the bot token (NAMESMITH_DISCORD_TOKEN)")
    assert TOKEN not in err


async def test_run_serves_discord_alone_and_stops_cleanly_on_sigterm(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    env = _env(fake, tmp_path)
    fake.advertised_gateway = "ws://127.0.0.1:9/nowhere"  # only the configured one works
    proc = await asyncio.create_subprocess_exec(
        str(NAMESMITH), "run", env=env, cwd=tmp_path, stderr=asyncio.subprocess.PIPE
    )
    try:
        await fake.wait_ready()
        sent = await answer(fake, fake.slash("name", {"prefix": "Eld", "temperature": 0.7}))
        assert sent.embed.get("fields", [{}])[0].get("value") == "t=0.7 · starts Eld", sent
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 60)
    log = err.decode()
    assert proc.returncode == 0, log
    assert "stopped cleanly" in log
    assert "platform=discord command=name outcome=ok" in log
    assert TOKEN not in log
    assert "Traceback" not in log


# --- syncing the commands --------------------------------------------------------------------


async def test_sync_from_the_command_line(fake: FakeDiscord) -> None:
    n = await discord_run.sync_commands(config_for(fake), guild=GUILD_ID)
    assert n == 18
    assert [g for g, _ in fake.synced] == [GUILD_ID]
    assert fake.identified == []  # REST only: no gateway connection


async def test_discord_sync_command_line(fake: FakeDiscord, tmp_path: Path) -> None:
    code, out, err = await _namesmith(
        _env(fake, tmp_path), tmp_path, "discord-sync", "--guild", str(GUILD_ID)
    )
    assert code == 0, err
    assert out == f"synced 18 slash commands to server {GUILD_ID}\n"
    assert [g for g, _ in fake.synced] == [GUILD_ID]


async def test_a_refused_sync_is_one_fatal_line(fake: FakeDiscord) -> None:
    fake.fail_next(r"/guilds/[0-9]+/commands$", 403, method="PUT")
    with pytest.raises(FatalError, match=r"Discord refused the commands \(HTTP 403"):
        await discord_run.sync_commands(config_for(fake), guild=GUILD_ID)


# --- settings --------------------------------------------------------------------------------


def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(__file__).parent)  # no .env here
    for key in os.environ:
        if key.startswith("NAMESMITH_"):
            monkeypatch.delenv(key)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DISCORD_PREFIX": "/"}, "NAMESMITH_DISCORD_PREFIX: must be a few visible characters"),
        ({"DISCORD_API_URL": "discord.com"}, "NAMESMITH_DISCORD_API_URL: must be an http(s) URL"),
        ({"DISCORD_GATEWAY_URL": "http://x"}, "NAMESMITH_DISCORD_GATEWAY_URL: must be a ws(s)"),
        ({"DISCORD_SHARDS": "0"}, "NAMESMITH_DISCORD_SHARDS: Input should be greater than"),
        (
            {"DISCORD_SHARD_IDS": "0,1"},
            "NAMESMITH_DISCORD_SHARD_IDS needs NAMESMITH_DISCORD_SHARDS",
        ),
        ({"DISCORD_SHARDS": "2", "DISCORD_SHARD_IDS": "1,2"}, "distinct shard numbers from 0 to 1"),
    ],
)
def test_discord_settings_are_checked(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    from bot.config import ConfigError, load

    _clean_environment(monkeypatch)
    for key, value in env.items():
        monkeypatch.setenv(f"NAMESMITH_{key}", value)
    with pytest.raises(ConfigError) as caught:
        load()
    assert expected in str(caught.value)


def test_discord_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.config import load

    _clean_environment(monkeypatch)
    monkeypatch.setenv("NAMESMITH_DISCORD_SHARDS", "4")
    monkeypatch.setenv("NAMESMITH_DISCORD_SHARD_IDS", "2, 3")
    monkeypatch.setenv("NAMESMITH_DISCORD_API_URL", "https://proxy.example/api/v10/")
    config = load()
    assert (config.discord_shards, config.discord_shard_ids) == (4, [2, 3])
    assert config.discord_api_url == "https://proxy.example/api/v10"
    assert (config.discord_prefix, config.discord_gateway_url) == ("!", None)
