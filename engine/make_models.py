"""Retrain shipped styles with their recorded commands: `python -m engine.make_models [style...]`.

`--describe` retrains nothing: it rewrites the description in the shipped checkpoints from the
corpus table (engine.corpora.corpus.BUILTIN), weights untouched.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from engine.corpora.corpus import BUILTIN
from engine.corpora.recipes import STYLES
from engine.serving import checkpoint
from engine.serving.registry import PACKAGED_MODELS


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m engine.make_models", description=__doc__)
    ap.add_argument("styles", nargs="*", metavar="STYLE", help="default: every style")
    ap.add_argument("--describe", action="store_true", help="only refresh the descriptions")
    ap.add_argument("--missing", action="store_true", help="only styles with no checkpoint yet")
    args = ap.parse_args(argv)
    if unknown := [s for s in args.styles if s not in STYLES]:
        ap.error(f"unknown styles {', '.join(unknown)}; known: {', '.join(STYLES)}")
    styles = args.styles or list(STYLES)
    if args.missing:
        styles = [s for s in styles if not (PACKAGED_MODELS / f"{s}.pt").exists()]
    if args.describe:
        for style in styles:
            path = PACKAGED_MODELS / f"{style}.pt"
            model = checkpoint.load(path)
            checkpoint.save(replace(model, description=BUILTIN[STYLES[style].corpus][0]), path)
            print("described", path.name)  # noqa: T201
        return 0
    exe = shutil.which("namesmith") or str(Path(sys.executable).parent / "namesmith")
    for style in styles:
        cmd = STYLES[style].command(str(PACKAGED_MODELS / f"{style}.pt"))
        print("+", " ".join(cmd), flush=True)  # noqa: T201
        subprocess.run([exe, *cmd[1:]], check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
