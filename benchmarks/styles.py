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

Lists share names (18 of French's 22 held-out names are in another style's training names), and
the shared model trained on every style's training names: on those it has read the very name,
under another style. The `unseen` columns score both models on the held-out names that are in
no style's training names; today's models never saw another list, so only the shared model's
figure moves. With a handful of such names for the small lists, those figures are noisy.

    .venv/bin/python -m benchmarks.styles [--markdown] [--models DIR]

`--models` scores the shared model of another folder (a candidate from `make_models --out`)
instead of the shipped one.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
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
    ap.add_argument("--models", type=Path, default=PACKAGED_MODELS)
    args = ap.parse_args()
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    before = per_style_models()
    now = load_folder(args.models)
    corpora = {style: load(spec.corpus) for style, spec in STYLES.items()}
    splits = {
        style: split(corpora[style], spec.val_fraction, spec.seed) for style, spec in STYLES.items()
    }
    trained_by: dict[str, set[str]] = {}  # a name: the styles that train on it
    for style, (train, _) in splits.items():
        for i in train:
            trained_by.setdefault(corpora[style].names[i], set()).add(style)
    rows: list[dict[str, Any]] = []
    added: dict[str, float] = {}  # styles the per-style models never had: no "today" to beat
    # styles whose list changed since (towns: thirteen countries, not seven): not comparable
    changed: dict[str, float] = {}
    for style in STYLES:
        corpus = corpora[style]
        _, val = splits[style]
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
        unseen = [
            (n, lab)
            for n, lab in zip(names, labels, strict=True)
            if not trained_by.get(n, set()) - {style}
        ]
        u_names, u_labels = [n for n, _ in unseen], [lab for _, lab in unseen]
        u_old = test_nll(before[style], u_names, u_labels) if unseen else float("nan")
        u_new = test_nll(now[style], u_names, u_labels) if unseen else float("nan")
        rows.append({
            "style": style, "names": len(corpus), "held_out": len(names),
            "today": round(old, 4), "shared": round(new, 4), "delta": round(new - old, 4),
            "target": f"<= {target:+.2f}", "meets": new - old <= target,
            "unseen_held_out": len(unseen), "today_unseen": round(u_old, 4),
            "shared_unseen": round(u_new, 4), "delta_unseen": round(u_new - u_old, 4),
            "meets_unseen": u_new - u_old <= target,
            "own_head": bool(now[style].metrics.get("own_head")),
        })  # fmt: skip
    result = {
        "benchmark": "styles",
        "before": BEFORE_REV,
        "styles_meeting_target": sum(r["meets"] for r in rows),
        "styles_meeting_target_unseen": sum(r["meets_unseen"] for r in rows),
        "styles": len(rows),
        "added_styles_nll": added,
        "changed_styles_nll": changed,
        "shipped_bytes_now": sum(p.stat().st_size for p in args.models.glob("*.pt")),
        "seconds": round(time.perf_counter() - t0, 1),
        "table": rows,
    }
    if args.markdown:
        print(
            "| style | names | held out | today | shared | Δ | target | met "
            "| unseen | today | shared | Δ | met |"
        )
        print("|---|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---|")
        for r in rows:
            print(
                f"| {r['style']} | {r['names']:,} | {r['held_out']} | {r['today']:.4f} | "
                f"{r['shared']:.4f} | {r['delta']:+.4f} | {r['target']} | "
                f"{'yes' if r['meets'] else '**no**'} | {r['unseen_held_out']} | "
                f"{r['today_unseen']:.4f} | {r['shared_unseen']:.4f} | "
                f"{r['delta_unseen']:+.4f} | {'yes' if r['meets_unseen'] else '**no**'} |"
            )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
