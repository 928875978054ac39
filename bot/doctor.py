"""`namesmith doctor`: is this deployment ready to run? One line per check, ✓ or ✗ with what to
fix in plain words; exit 0 when every check passes, 1 otherwise. Nothing is changed.

- configuration: the NAMESMITH_* values, parsed exactly as `namesmith run` parses them;
- database: it opens, its schema is current, a write goes through (in a transaction rolled
  back);
- models folder: there (or creatable) and writable; every `<style>.pt` in it loads; the shipped
  models load;
- tokens: set or not, and well-formed; never printed, not even in part;
- webhook: when NAMESMITH_TELEGRAM_WEBHOOK_URL is set, an HTTPS request reaches it.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import tempfile
from pathlib import Path

import aiohttp
from pydantic import SecretStr

import storage
from bot.app import configure_logging, redact
from bot.config import Config, ConfigError, load
from bot.metrics import Check
from engine.errors import CheckpointError
from engine.serving.registry import PACKAGED_MODELS, check_folder, load_folder

WEBHOOK_TIMEOUT = 5.0  # seconds the webhook URL has to answer
# The shapes of the tokens each platform hands out (checked, never shown).
_TELEGRAM_TOKEN = re.compile(r"[0-9]{1,20}:[A-Za-z0-9_-]{30,64}", re.ASCII)
_DISCORD_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}", re.ASCII)


async def checks(config: Config) -> list[Check]:
    """Every check after the configuration's, in order."""
    return [
        await database(config),
        await asyncio.to_thread(models_folder, config.models_dir),
        await asyncio.to_thread(retrained_models, config.models_dir),
        await asyncio.to_thread(shipped_models),
        *tokens(config),
        await webhook(config),
    ]


async def database(config: Config) -> Check:
    try:
        found = await storage.checkup(config.database_target)
    except storage.StorageError as exc:  # its message says what to do, a URL's password hidden
        return Check("database", False, str(exc))
    except OSError as exc:
        where = storage.redact(config.database_target)
        return Check("database", False, f"{where} cannot be opened: {exc.strerror or exc}")
    if not found.current:
        return Check(
            "database",
            False,
            f"{found.where} has schema {found.version}, this Namesmith writes {found.latest}: "
            "run `namesmith db migrate` (`namesmith run` migrates at start, too)",
        )
    return Check(
        "database", True, f"{found.where} opens, schema {found.version} is current, writable"
    )


def models_folder(folder: Path) -> Check:
    name = "models folder"
    if not folder.exists():
        parent = next(p for p in folder.parents if p.exists())
        if os.access(parent, os.W_OK | os.X_OK):
            return Check(name, True, f"{folder} is not there yet; the first retrain creates it")
        return Check(
            name,
            False,
            f"{folder} is not there and {parent} is not writable, so a retrain could not create "
            "it: create it, owned by the user that runs Namesmith",
        )
    if not folder.is_dir():
        return Check(name, False, f"{folder} is not a folder: point NAMESMITH_MODELS_DIR at one")
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return Check(
            name,
            False,
            f"{folder} is not writable ({exc.strerror or exc}), so a retrain could not save its "
            "model: give it to the user that runs Namesmith",
        )
    return Check(name, True, f"{folder} is writable")


def retrained_models(folder: Path) -> Check:
    name = "retrained models"
    found = check_folder(folder) if folder.is_dir() else {}
    broken = {f: why for f, why in found.items() if why is not None}
    if broken:
        listed = "; ".join(str(why) for why in broken.values())
        return Check(
            name,
            False,
            f"{len(broken)} of {len(found)} in {folder} do not load ({listed}): remove or "
            "replace them (the shipped model serves those styles meanwhile)",
        )
    if not found:
        return Check(name, True, "none (the shipped models serve every style)")
    return Check(name, True, f"{', '.join(sorted(found))} load")


def shipped_models() -> Check:
    try:
        styles = load_folder(PACKAGED_MODELS, strict=True)
    except CheckpointError as exc:
        return Check("shipped models", False, f"{exc}: reinstall Namesmith")
    if not styles:
        return Check("shipped models", False, f"none in {PACKAGED_MODELS}: reinstall Namesmith")
    return Check("shipped models", True, f"{len(styles)} styles load")


def tokens(config: Config) -> list[Check]:
    """Whether each token is set and has its platform's shape; a token's value is never part
    of what is said, only where it is wrong in general terms."""
    found = [
        _token(
            "telegram token",
            config.telegram_token,
            _TELEGRAM_TOKEN,
            "digits, a colon, then about 35 letters, digits, _ or -, as @BotFather gives it",
        ),
        _token(
            "discord token",
            config.discord_token,
            _DISCORD_TOKEN,
            "three parts joined by dots, as the Developer Portal's Bot page gives it",
        ),
    ]
    if not config.tokens():
        found.append(
            Check(
                "tokens",
                False,
                "neither NAMESMITH_TELEGRAM_TOKEN nor NAMESMITH_DISCORD_TOKEN is set, so "
                "`namesmith run` would open the console chat: set one",
            )
        )
    return found


def _token(name: str, token: SecretStr | None, shape: re.Pattern[str], form: str) -> Check:
    value = token.get_secret_value() if token is not None else ""
    variable = f"NAMESMITH_{name.replace(' ', '_').upper()}"
    if not value:
        return Check(name, True, f"not set ({variable}): {name.split()[0].title()} is not served")
    if shape.fullmatch(value):
        return Check(name, True, "set, well-formed")
    if value != value.strip():
        hint = "it has spaces or a line break around it: remove them"
    elif value[:1] in "\"'" or value[-1:] in "\"'":
        hint = "it is wrapped in quotes: remove them"
    else:
        hint = f"it should be {form}: copy it again"
    return Check(name, False, f"{variable} is set but not well-formed; {hint}")


async def webhook(config: Config) -> Check:
    url = config.telegram_webhook_url
    if url is None:
        return Check("webhook", True, "skipped: no NAMESMITH_TELEGRAM_WEBHOOK_URL (the bot polls)")
    if url.scheme != "https":
        return Check("webhook", False, f"{url} is not https://: Telegram posts only to HTTPS")
    timeout = aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.head(str(url), allow_redirects=False) as response,
        ):
            status = response.status
    except TimeoutError:
        return Check(
            "webhook",
            False,
            f"{url} did not answer within {WEBHOOK_TIMEOUT:g} s: check DNS, the firewall (443 "
            "must reach this machine) and that the proxy runs",
        )
    except aiohttp.ClientSSLError as exc:
        return Check(
            "webhook",
            False,
            f"{url}: the TLS handshake failed ({type(exc).__name__}); check the proxy's "
            "certificate for this domain",
        )
    except aiohttp.ClientError as exc:
        return Check(
            "webhook",
            False,
            f"{url} cannot be reached ({type(exc).__name__}): check DNS, the firewall (443 must "
            "reach this machine) and that the proxy runs",
        )
    return Check("webhook", True, f"{url} answers (HTTP {status})")


def main() -> int:
    """Print one line per check; 0 when all pass, 1 otherwise."""
    try:
        config = load()
    except ConfigError as exc:
        print(Check("configuration", False, str(exc)).line())
        return 1
    hidden = config.secrets()
    configure_logging("WARNING", hidden)
    found = [Check("configuration", True, "the NAMESMITH_* values are valid")]
    found += asyncio.run(checks(config))
    for check in found:
        print(redact(check.line(), hidden))
    sys.stdout.flush()
    return 0 if all(c.ok for c in found) else 1
