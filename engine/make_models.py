"""Retrain every shipped style with its recorded command: `python -m engine.make_models [style]`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from engine.styles import STYLES

OUT = Path(__file__).parent / "models"


def main(argv: list[str]) -> int:
    exe = shutil.which("namesmith") or str(Path(sys.executable).parent / "namesmith")
    for style in argv or list(STYLES):
        cmd = STYLES[style].command(str(OUT / f"{style}.pt"))
        print("+", " ".join(cmd), flush=True)  # noqa: T201
        subprocess.run([exe, *cmd[1:]], check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
