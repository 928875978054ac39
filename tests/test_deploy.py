"""The deployment files parse and agree with the README."""

from __future__ import annotations

from pathlib import Path

import yaml

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
