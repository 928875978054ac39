"""engine.make_models: the kernels a shipped model is trained with."""

from __future__ import annotations

import os
import platform

import pytest
import torch

from engine import make_models


class Ran(Exception):
    """os.execve, stood in for: the process would be replaced here."""


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[str], dict[str, str]]]:
    ran: list[tuple[str, list[str], dict[str, str]]] = []

    def execve(path: str, args: list[str], env: dict[str, str]) -> None:
        ran.append((path, args, env))
        raise Ran

    monkeypatch.setattr(os, "execve", execve)
    for key in make_models.KERNELS:
        monkeypatch.delenv(key, raising=False)
    return ran


def test_make_models_runs_itself_again_with_its_kernels_pinned(
    runs: list[tuple[str, list[str], dict[str, str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "AVX512")
    with pytest.raises(Ran):
        make_models.main(["--steps", "5"])
    ((exe, args, env),) = runs
    assert exe == args[0]
    assert args[1:] == ["-m", "engine.make_models", "--steps", "5"]
    assert all(env[k] == v for k, v in make_models.KERNELS.items())
    for key, value in make_models.KERNELS.items():
        monkeypatch.setenv(key, value)
    make_models._pinned_kernels(["--steps", "5"])  # the run again: nothing to do
    assert len(runs) == 1


@pytest.mark.parametrize(
    ("machine", "capability", "env", "why"),
    [
        ("aarch64", "DEFAULT", {}, "this CPU has no AVX2"),
        ("x86_64", "DEFAULT", {}, "this CPU has no AVX2"),  # AVX2 forced there: SIGILL
        ("x86_64", "AVX2", {"ATEN_CPU_CAPABILITY": "default"}, "ATEN_CPU_CAPABILITY set otherwise"),
    ],
)
def test_where_kernels_cannot_be_pinned_it_says_so_and_goes_on(
    runs: list[tuple[str, list[str], dict[str, str]]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    machine: str,
    capability: str,
    env: dict[str, str],
    why: str,
) -> None:
    monkeypatch.setattr(platform, "machine", lambda: machine)
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: capability)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    make_models._pinned_kernels(["--steps", "5"])
    assert runs == []
    assert capsys.readouterr().err == (
        f"make models: kernels not pinned ({why}): the weights will differ\n"
    )
