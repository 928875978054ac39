"""Per-style test NLL: today's per-style models against the shared model, side by side; prints
JSON (and, with --markdown, the README's table).

Each style is scored on its own held-out names: exactly the validation split its own recipe
trained and early-stopped with (engine.nn.train.split with the recipe's fraction and seed),
which the shared model also held out. NLL in nats per predicted token (each name's letters and
its end), each name read with its own label, as training reads it. Today's models are the
per-style files of benchmarks.before.BEFORE_REV (from git history).

Targets (the one-model issue): no style worse than today by more than 0.01; styles under 500
names at least 0.05 better. Caveat: like today's models (early stopping) the shared model chose
its checkpoint and each style's own head on these same validation names; with 22-76 names for
most styles, a figure's noise is a few hundredths. Styles added since (the tabletop races, the
cultures) have no per-style model: their shared-model NLL is listed alone (`added_styles_nll`);
so is a style whose list changed since (`changed_styles_nll`: towns, of thirteen countries now
against seven, whose held-out names today's model may have trained on).

    .venv/bin/python -m benchmarks.styles [--markdown]
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import torch

from benchmarks.before import BEFORE_REV, per_style_models
from engine.corpora.corpus import load
from engine.corpora.recipes import STYLES
from engine.nn.train import encode, mean_loss, split
from engine.serving.registry import PACKAGED_MODELS, load_folder
from engine.serving.trained import NameModel

SMALL = 500  # names: a style this small must gain at least 0.05


def test_nll(model: NameModel, names: list[str], labels: list[str]) -> float:
    ids = [model.labels.index(lab) if model.labels else 0 for lab in labels]
    return mean_loss(model.net, encode(model.vocab, names, ids))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    before = per_style_models()
    now = load_folder(PACKAGED_MODELS)
    rows: list[dict[str, Any]] = []
    added: dict[str, float] = {}  # styles the per-style models never had: no "today" to beat
    # styles whose list changed since (towns: thirteen countries, not seven): not comparable
    changed: dict[str, float] = {}
    for style, spec in STYLES.items():
        corpus = load(spec.corpus)
        _, val = split(corpus, spec.val_fraction, spec.seed)
        names = [corpus.names[i] for i in val]
        labels = [corpus.labels[corpus.label_ids[i]] if corpus.labels else "" for i in val]
        new = test_nll(now[style], names, labels)
        if style not in before:
            added[style] = round(new, 4)
            continue
        if before[style].labels != corpus.labels:
            changed[style] = round(new, 4)
            continue
        old = test_nll(before[style], names, labels)
        small = len(corpus) < SMALL
        target = -0.05 if small else 0.01
        rows.append({
            "style": style, "names": len(corpus), "held_out": len(names),
            "today": round(old, 4), "shared": round(new, 4), "delta": round(new - old, 4),
            "target": f"<= {target:+.2f}", "meets": new - old <= target,
            "own_head": bool(now[style].metrics.get("own_head")),
        })  # fmt: skip
    result = {
        "benchmark": "styles",
        "before": BEFORE_REV,
        "styles_meeting_target": sum(r["meets"] for r in rows),
        "styles": len(rows),
        "added_styles_nll": added,
        "changed_styles_nll": changed,
        "shipped_bytes_now": sum(p.stat().st_size for p in PACKAGED_MODELS.glob("*.pt")),
        "seconds": round(time.perf_counter() - t0, 1),
        "table": rows,
    }
    if args.markdown:
        print("| style | names | held out | today | shared | Δ | target | met |")
        print("|---|---:|---:|---:|---:|---:|---|---|")
        for r in rows:
            print(
                f"| {r['style']} | {r['names']:,} | {r['held_out']} | {r['today']:.4f} | "
                f"{r['shared']:.4f} | {r['delta']:+.4f} | {r['target']} | "
                f"{'yes' if r['meets'] else '**no**'} |"
            )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
