"""Train the shipped model: `python -m engine.make_models` (`make models`).

One shared network learns every style in engine.corpora.recipes.STYLES together
(engine.nn.jointtrain), each style on the same train/validation split its own recipe names; the
result is written to engine/models/_shared.pt. Bounded by steps and seeded, with torch's kernels
pinned to one instruction set (KERNELS): the same torch build gives the same weights. About 75
minutes on one core (two candidates can train side by side on two).

`--steps N` and `--head-epochs N` shorten the phases (for a quick look; not what ships).
`--phase2-from FILE` runs phase 2 alone on the network of a file this code's phase 1 wrote (its
weights as the file keeps them, which is what phase 2 starts from): the weights and heads of a whole
run, in about 23 minutes on one core, when only phase 2's rules changed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import torch

from engine.corpora.corpus import Corpus, load
from engine.corpora.recipes import BUDGET, STYLES
from engine.corpora.sources import BUILTIN
from engine.nn.joint import NONE
from engine.nn.jointtrain import (
    JointProgress,
    JointTrainConfig,
    JointTrainResult,
    StyleSet,
    fit_heads,
    style_rows,
    tables,
    train_joint,
)
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
    return _save(train_joint(sets, config, on_progress=_report(log)), corpora, config, out)


def _report(log: bool) -> Callable[[JointProgress], None]:
    def report(p: JointProgress) -> None:
        if log and (p.val_macro is not None or p.note):
            macro = f" val {p.val_macro:.4f}" if p.val_macro is not None else ""
            print(f"step {p.step}/{p.steps} {p.elapsed:.0f}s{macro} {p.note}", flush=True)  # noqa: T201

    return report


def _save(
    result: JointTrainResult, corpora: dict[str, Corpus], config: JointTrainConfig, out: Path
) -> Path:
    descriptions = {s: BUILTIN[STYLES[s].corpus][0] for s in result.styles}
    meta = {
        "config": {k: getattr(config, k) for k in config.__dataclass_fields__},
        "best_step": result.best_step,
        "seconds": round(result.seconds, 1),
        "history": json.dumps(result.history),
    }
    return shared.save(shared.build(result, corpora, descriptions), out, meta)


def refit_heads(source: Path, out: Path, config: JointTrainConfig, styles: list[str]) -> Path:
    """Phase 2 again on the network `source` holds; its phase 1 history and step are kept."""
    sets, corpora = style_sets(styles)
    old = shared.load(source)
    try:
        meta = torch.load(source, map_location="cpu", weights_only=True)["meta"]
        fields = JointTrainConfig.__dataclass_fields__
        # Phase 1's settings as the source ran them; phase 2's as given now.
        phase1 = JointTrainConfig(**{k: v for k, v in meta["config"].items() if k in fields})
        best_step, seconds, history = meta["best_step"], meta["seconds"], meta["history"]
    except (KeyError, TypeError) as exc:
        raise SystemExit(f"{source}: no training record of make_models in it") from exc
    config = replace(phase1, **{k: getattr(config, k) for k in fields if k.startswith("head_")})
    vocab, labels = tables(sets)
    same = (vocab.chars, labels, list(old.style_index)) == (old.vocab.chars, [*old.labels], styles)
    if not same or any(old.entries[s].corpus_fingerprint != corpora[s].fingerprint for s in styles):
        raise SystemExit(f"{source}: trained on other styles, names or labels than these")
    torch.set_num_threads(config.threads)
    parts, vals = style_rows(sets, vocab, labels)
    heads, val, shared_val = fit_heads(old.net, styles, parts, vals, config, _report(True))
    result = JointTrainResult(
        old.net, vocab, styles, labels, heads, val, shared_val, int(best_step),
        float(seconds), json.loads(history),
    )  # fmt: skip
    return _save(result, corpora, config, out)


# The kernels torch picks follow the CPU's instruction set, and so do the last bits of their
# sums: with the same torch build and seed, a 300-step run here (an AVX-512 CPU) gave other
# weights under each of these settings, and the network shipped before them, trained on another
# machine, was not reproduced here past step 3,500. Pinned to AVX2, which any x86-64 CPU of the
# last decade has, so a rerun on another machine draws the same sums.
KERNELS = {"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2"}


def _pinned_kernels(argv: list[str]) -> None:
    """Run again with KERNELS set (they are read when torch first computes, so they must be
    there before this process imported it). Returns when they are set; and, with a warning that
    the weights will not be the shipped ones, when they are set otherwise (yours to choose) or
    the CPU cannot run them (not x86-64 with AVX2: pinning there would crash or do nothing)."""
    if all(os.environ.get(k) == v for k, v in KERNELS.items()):
        return
    other = [k for k in KERNELS if os.environ.get(k, KERNELS[k]) != KERNELS[k]]
    able = platform.machine().lower() in ("x86_64", "amd64") and (
        torch.backends.cpu.get_cpu_capability() in ("AVX2", "AVX512")
    )
    if other or not able:
        why = f"{', '.join(other)} set otherwise" if other else "this CPU has no AVX2"
        print(f"make models: kernels not pinned ({why}): the weights will differ", file=sys.stderr)  # noqa: T201
        return
    os.execve(
        sys.executable,
        [sys.executable, "-m", "engine.make_models", *argv],
        {**os.environ, **KERNELS},
    )


def main(argv: list[str]) -> int:
    _pinned_kernels(argv)
    ap = argparse.ArgumentParser(prog="python -m engine.make_models", description=__doc__)
    ap.add_argument("--out", type=Path, default=PACKAGED_MODELS / shared.SHARED_FILE)
    ap.add_argument("--steps", type=int, default=JointTrainConfig().steps)
    ap.add_argument("--head-epochs", type=int, default=JointTrainConfig().head_epochs)
    ap.add_argument("--phase2-from", type=Path, metavar="FILE")
    args = ap.parse_args(argv)
    start = time.monotonic()
    config = JointTrainConfig(steps=args.steps, head_epochs=args.head_epochs)
    if args.phase2_from:
        path = refit_heads(args.phase2_from, args.out, config, list(STYLES))
    else:
        path = make(args.out, config, list(STYLES))
    print(f"wrote {path} ({path.stat().st_size:,} bytes) in {time.monotonic() - start:.0f}s")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
