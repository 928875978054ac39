"""The deployment files parse and agree with the README."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from pydantic import ValidationError

ROOT = Path(__file__).resolve().parent.parent


def test_compose_file_defines_the_namesmith_service() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    svc = compose["services"]["namesmith"]
    assert svc["env_file"] == ".env"
    assert svc["restart"] == "unless-stopped"
    volume = svc["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]
    assert svc["logging"]["options"]["max-size"]


def test_readme_names_the_deployment() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "docker compose up -d" in readme
    assert "namesmith" in readme
    assert "make run" in readme
    assert "make test" in readme


def test_env_example_names_every_setting() -> None:
    from bot.config import Config

    example = (ROOT / ".env.example").read_text()
    for field in Config.model_fields:
        assert f"NAMESMITH_{field.upper()}" in example


def test_dockerfile_runs_as_a_user_with_a_data_volume() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "USER namesmith" in text
    assert 'VOLUME ["/data"]' in text
    assert "torch==2.13.0" in text


# --- the `scale` profile --------------------------------------------------------------------

SCALE = ("postgres", "namesmith-1", "namesmith-2", "proxy")
REPLICAS = ("namesmith-1", "namesmith-2")
_VARIABLE = re.compile(r"\$\{(\w+)(:-[^}]*)?\}")


def _compose() -> dict[str, Any]:
    compose: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return compose


def _interpolate(value: str, env: dict[str, str]) -> str:
    """What compose makes of ${VAR:-default} with `env` as the .env file."""
    return _VARIABLE.sub(lambda m: env.get(m[1], (m[2] or ":-")[2:]), value)


def test_the_default_service_is_in_no_profile_and_the_scale_services_are() -> None:
    services = _compose()["services"]
    assert "profiles" not in services["namesmith"]  # `docker compose up -d` is unchanged
    for name in SCALE:
        assert services[name]["profiles"] == ["scale"], name
    assert set(services) == {"namesmith", *SCALE}


def test_postgres_has_a_named_volume_a_healthcheck_and_no_password_in_the_file() -> None:
    compose = _compose()
    pg = compose["services"]["postgres"]
    assert pg["image"].startswith("postgres:")
    volume, mount = pg["volumes"][0].split(":")
    assert volume in compose["volumes"]
    assert mount == "/var/lib/postgresql/data"
    assert "pg_isready" in " ".join(pg["healthcheck"]["test"])
    assert pg["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD")


def test_replicas_serve_webhooks_on_postgres_once_it_is_healthy() -> None:
    services = _compose()["services"]
    for name in REPLICAS:
        svc = services[name]
        env = svc["environment"]
        assert env["NAMESMITH_DATABASE"].startswith("postgresql://namesmith:${POSTGRES_PASSWORD")
        assert env["NAMESMITH_TELEGRAM_WEBHOOK_SECRET"].startswith("${WEBHOOK_SECRET")
        assert svc["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert svc["restart"] == "unless-stopped"


def test_the_replicas_share_one_models_folder() -> None:
    """A model adopted or rolled back through one replica reaches the other through it."""
    compose = _compose()
    mounts = set()
    for name in REPLICAS:
        svc = compose["services"][name]
        models = PurePosixPath(svc["environment"]["NAMESMITH_MODELS_DIR"])
        (mount,) = [
            v.split(":")[:2] for v in svc["volumes"] if models.is_relative_to(v.split(":")[1])
        ]
        assert mount[0] in compose["volumes"]  # a named volume, not a per-container path
        assert "NAMESMITH_MODELS_POLL_SECONDS" not in svc["environment"]  # watched by default
        mounts.add((mount[0], str(models)))
    assert len(mounts) == 1


@pytest.mark.parametrize("name", REPLICAS)
def test_a_replica_filled_from_env_is_a_valid_configuration(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.config import Config

    dotenv = {
        "POSTGRES_PASSWORD": "0123456789abcdef0123456789abcdef",
        "WEBHOOK_DOMAIN": "bot.example.com",
        "WEBHOOK_SECRET": "abcdef0123456789abcdef0123456789",
    }
    for key, value in _compose()["services"][name]["environment"].items():
        monkeypatch.setenv(key, _interpolate(value, dotenv))
    config = Config(_env_file=None)  # type: ignore[call-arg]
    assert config.shared_rate_limits  # PostgreSQL: the replicas share the rate limits
    assert str(config.telegram_webhook_url) == "https://bot.example.com/telegram"
    assert dotenv["POSTGRES_PASSWORD"] in config.secrets()
    assert dotenv["WEBHOOK_SECRET"] in config.secrets()


def test_a_replica_without_the_webhook_settings_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """.env without the scale variables: the replica stops naming what is missing, rather than
    serving an open webhook (or polling: two polling replicas would fight over the updates)."""
    from bot.config import Config

    for key, value in _compose()["services"]["namesmith-1"]["environment"].items():
        monkeypatch.setenv(key, _interpolate(value, {}))
    with pytest.raises(ValidationError, match="required when NAMESMITH_TELEGRAM_WEBHOOK_URL"):
        Config(_env_file=None)  # type: ignore[call-arg]


def test_the_proxy_balances_the_webhook_path_over_every_replica() -> None:
    services = _compose()["services"]
    proxy = services["proxy"]
    assert set(proxy["depends_on"]) == set(REPLICAS)
    assert {"80:80", "443:443"} <= set(proxy["ports"])
    source, target, *_ = proxy["volumes"][0].split(":")
    assert target == "/etc/caddy/Caddyfile"
    caddyfile = (ROOT / source).read_text()
    env = services["namesmith-1"]["environment"]
    path = urlsplit(env["NAMESMITH_TELEGRAM_WEBHOOK_URL"]).path
    port = env["NAMESMITH_TELEGRAM_WEBHOOK_LISTEN"].rsplit(":", 1)[1]
    m = re.search(r"handle (\S+) \{(.*?)reverse_proxy ([^{]+)\{", caddyfile, re.S)
    assert m is not None
    assert m[1] == path
    assert m[3].split() == [f"{name}:{port}" for name in REPLICAS]
    assert re.search(r"request_body \{\s*max_size 1MB\s*\}", m[2])  # big bodies never pass
    assert "{$WEBHOOK_DOMAIN}" in caddyfile
    assert proxy["environment"]["WEBHOOK_DOMAIN"].startswith("${WEBHOOK_DOMAIN")


@pytest.mark.parametrize("name", ["namesmith", *REPLICAS])
def test_every_bot_service_is_healthy_only_while_ready(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The healthcheck asks /readyz on the port the service's metrics listen on."""
    from bot.config import Config

    svc = _compose()["services"][name]
    monkeypatch.setenv("NAMESMITH_METRICS_LISTEN", svc["environment"]["NAMESMITH_METRICS_LISTEN"])
    address = Config(_env_file=None).metrics_address  # type: ignore[call-arg]
    assert address is not None
    probe = svc["healthcheck"]["test"]
    assert probe[:3] == ["CMD", "python", "-c"]
    assert f"http://127.0.0.1:{address[1]}/readyz" in probe[3]
    assert address[0] is None  # every interface: the proxy reaches a replica's from outside


def test_the_proxy_checks_each_replicas_readiness() -> None:
    services = _compose()["services"]
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    port = services["namesmith-1"]["environment"]["NAMESMITH_METRICS_LISTEN"].rsplit(":", 1)[1]
    m = re.search(r"reverse_proxy [^{]+\{(.*?)\}", caddyfile, re.S)
    assert m is not None
    assert re.search(r"^\s*health_uri /readyz$", m[1], re.M)
    assert re.search(rf"^\s*health_port {port}$", m[1], re.M)


def test_env_example_names_the_scale_profile_variables() -> None:
    example = (ROOT / ".env.example").read_text()
    used = set(_VARIABLE.findall((ROOT / "docker-compose.yml").read_text()))
    assert {v for v, _ in used} == {"POSTGRES_PASSWORD", "WEBHOOK_DOMAIN", "WEBHOOK_SECRET"}
    for variable, _ in used:
        assert f"# {variable}=" in example


def test_readme_names_every_setting_and_every_command() -> None:
    from bot import texts
    from bot.config import Config

    readme = (ROOT / "README.md").read_text()
    assert [f for f in Config.model_fields if f"NAMESMITH_{f.upper()}" not in readme] == []
    assert [c for c in texts.HELP if f"/{c}" not in readme] == []
