"""Today's models for side-by-side figures: the per-style files the package shipped before the
shared model, read from git history (so a benchmark needs this repository's .git)."""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from pathlib import Path

from engine.serving.registry import load_folder
from engine.serving.trained import NameModel

# The last commit whose engine/models held one file per style (`<style>.pt`).
BEFORE_REV = "3062b43"


def per_style_models(rev: str = BEFORE_REV) -> dict[str, NameModel]:
    root = Path(__file__).resolve().parents[1]
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", rev, "engine/models"],
        check=True,
        capture_output=True,
    ).stdout
    folder = Path(tempfile.mkdtemp(prefix="namesmith-before-"))
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return load_folder(folder / "engine" / "models")
