"""Dependencies point inward: adapters -> service -> engine / storage. Checked, not remembered."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SDKS = {"telegram", "discord"}
FORBIDDEN = {
    "engine": {"bot", "storage", "aiosqlite", *SDKS},
    "storage": {"bot", "engine", "torch", "numpy", *SDKS},
    "bot": set(),
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_packages_import_only_inward(package: str) -> None:
    bad = {
        str(p.relative_to(ROOT)): sorted(_imports(p) & FORBIDDEN[package])
        for p in (ROOT / package).rglob("*.py")
    }
    assert {k: v for k, v in bad.items() if v} == {}


def test_only_adapters_import_a_chat_sdk() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "bot").rglob("*.py")
        if _imports(p) & SDKS and "adapters" not in p.parts
    ]
    assert offenders == []


def test_model_file_imports_only_torch() -> None:
    """Like nanoGPT's model.py: the network reads top to bottom with nothing but torch."""
    allowed = {"__future__", "dataclasses", "typing", "torch", "engine"}
    assert _imports(ROOT / "engine" / "model.py") <= allowed
