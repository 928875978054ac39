"""Train the shipped model: `python -m engine.make_models` (`make models`).

One shared network learns every style in engine.corpora.recipes.STYLES together
(engine.nn.jointtrain), each style on the same train/validation split its own recipe names; the
result is written to engine/models/_shared.pt. Bounded by steps and seeded: the same torch
build gives the same weights. About 70 minutes on one core (two candidates can train side by
side on two).

`--steps N` and `--head-epochs N` shorten the phases (for a quick look; not what ships).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from engine.corpora.corpus import Corpus, load
from engine.corpora.recipes import BUDGET, STYLES
from engine.corpora.sources import BUILTIN
from engine.nn.joint import NONE
from engine.nn.jointtrain import JointProgress, JointTrainConfig, StyleSet, train_joint
from engine.nn.train import split
from engine.serving import shared
from engine.serving.registry import PACKAGED_MODELS


def style_sets(styles: list[str]) -> tuple[list[StyleSet], dict[str, Corpus]]:
    sets, corpora = [], {}
    for style in styles:
        spec = STYLES[style]
        corpus = corpora[style] = load(spec.corpus)
        train_idx, val_idx = split(corpus, spec.val_fraction, spec.seed)
        labels = [corpus.labels[i] if corpus.labels else NONE for i in corpus.label_ids]
        sets.append(StyleSet(style, corpus.names, labels, train_idx, val_idx, BUDGET[style]))
    return sets, corpora


def make(out: Path, config: JointTrainConfig, styles: list[str], log: bool = True) -> Path:
    sets, corpora = style_sets(styles)

    def report(p: JointProgress) -> None:
        if log and (p.val_macro is not None or p.note):
            macro = f" val {p.val_macro:.4f}" if p.val_macro is not None else ""
            print(f"step {p.step}/{p.steps} {p.elapsed:.0f}s{macro} {p.note}", flush=True)  # noqa: T201

    result = train_joint(sets, config, on_progress=report)
    descriptions = {s: BUILTIN[STYLES[s].corpus][0] for s in styles}
    meta = {
        "config": {k: getattr(config, k) for k in config.__dataclass_fields__},
        "best_step": result.best_step,
        "seconds": round(result.seconds, 1),
        "history": json.dumps(result.history),
    }
    return shared.save(shared.build(result, corpora, descriptions), out, meta)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m engine.make_models", description=__doc__)
    ap.add_argument("--out", type=Path, default=PACKAGED_MODELS / shared.SHARED_FILE)
    ap.add_argument("--steps", type=int, default=JointTrainConfig().steps)
    ap.add_argument("--head-epochs", type=int, default=JointTrainConfig().head_epochs)
    args = ap.parse_args(argv)
    start = time.monotonic()
    path = make(
        args.out, JointTrainConfig(steps=args.steps, head_epochs=args.head_epochs), list(STYLES)
    )
    print(f"wrote {path} ({path.stat().st_size:,} bytes) in {time.monotonic() - start:.0f}s")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
