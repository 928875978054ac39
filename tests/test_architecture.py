"""Dependencies point inward: adapters -> service -> engine / storage. Checked, not remembered.

The contracts live in pyproject.toml ([tool.importlinter]); import-linter follows imports
transitively (a pure module that pulls in torch through a helper is caught), relative imports
included.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def test_import_contracts_hold() -> None:
    run = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert " 0 broken" in run.stdout


def test_only_adapters_import_a_chat_sdk() -> None:
    """Every module and room of bot/ outside adapters/ is covered by a contract forbidding the
    SDKs (a room's contract covers the modules inside it)."""
    bot = ROOT / "bot"
    modules = {f"bot.{p.stem}" for p in bot.glob("*.py")} | {
        f"bot.{p.name}" for p in bot.iterdir() if (p / "__init__.py").is_file()
    }
    modules -= {"bot.__init__", "bot.__main__", "bot.app", "bot.cli", "bot.adapters"}
    contracts = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    uncovered = sorted(m for m in modules if f'"{m}"' not in contracts)
    assert not uncovered, f"bot modules no contract covers: {uncovered}"


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "relative import in model.py"
            assert node.module is not None
            found.add(node.module.split(".")[0])
    return found


def test_model_file_imports_only_torch() -> None:
    """Like nanoGPT's model.py: the network reads top to bottom with nothing but torch."""
    allowed = {"__future__", "dataclasses", "typing", "torch", "engine"}
    assert _imports(ROOT / "engine" / "nn" / "model.py") <= allowed
