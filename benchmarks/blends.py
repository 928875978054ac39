"""Blends and neutral names from the shipped model, measured; prints JSON.

Blends: for each pair (A, B), 500 new names of A, of B and of the even blend A+B (t=1, clean
sampling, as /name serves them). Each name is scored per letter under A and under B (its
log-likelihood per character and end, each style reading it with its own label mix), and
d = loglik_A - loglik_B. A name is A-like when d > 0.25, B-like when d < -0.25, else between.
A blend should sit between its parents: its median d near 0, and far from either parent's own.
`copied` is the share of the blend's names that are in A's or B's list.

Neutral: for gendered styles, 300 names with gender "any" and 300 with "neutral"; a name is
neutral when its likelihood read as female and as male differ by at most NEUTRAL_GAP nats
(the whole name). `any` shows how many of the plain mix already are; `neutral` keeps only those,
and `draws_per_name` is what that costs.

    .venv/bin/python -m benchmarks.blends
"""

from __future__ import annotations

import json
import statistics
import time

import numpy as np
import torch

from engine.blends import parse_blend
from engine.serving.registry import PACKAGED_MODELS, load_folder
from engine.serving.sampling import NEUTRAL_GAP, GenerationRequest, generate
from engine.serving.scoring import loglik_per_token, name_logliks

PAIRS = (("elf", "dwarf"), ("elf", "human"), ("english", "german"), ("goblin", "halfling"))
GENDERED = ("english", "elf", "german", "icelandic", "russian")


def main() -> None:
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    models = load_folder(PACKAGED_MODELS)
    blends = {}
    for a, b in PAIRS:
        ma, mb = models[a], models[b]
        assert ma.shared is not None
        mix = ma.shared.blend(parse_blend(f"{a}+{b}"))
        request = GenerationRequest(count=500, seed=1, new_only=True)
        row: dict[str, object] = {}
        for key, model in ((a, ma), (b, mb), (f"{a}+{b}", mix)):
            names = [
                n for n in generate(model, request).names
                if not ma.vocab.unknown(n) and not mb.vocab.unknown(n)
            ]  # fmt: skip
            d = loglik_per_token(ma, names) - loglik_per_token(mb, names)
            row[key] = {
                "names": len(names),
                "median_d": round(float(np.median(d)), 3),
                "a_like": round(float((d > 0.25).mean()), 3),
                "between": round(float((abs(d) <= 0.25).mean()), 3),
                "b_like": round(float((d < -0.25).mean()), 3),
                "examples": names[:8],
            }
        plain = generate(mix, GenerationRequest(count=500, seed=2)).names
        row["blend_copied_from_a_or_b"] = round(
            sum(n in ma.corpus_names or n in mb.corpus_names for n in plain) / len(plain), 3
        )
        blends[f"{a}+{b}"] = row
    neutral = {}
    for style in GENDERED:
        model = models[style]
        f, m = model.labels.index("female"), model.labels.index("male")
        out = {}
        for label in (None, "neutral"):
            res = generate(model, GenerationRequest(count=300, seed=3, label=label))
            names = list(res.names)
            gap = name_logliks(model, names, f) - name_logliks(model, names, m)
            out[label or "any"] = {
                "neutral_share": round(float((abs(gap) <= NEUTRAL_GAP).mean()), 3),
                "median_abs_gap": round(float(statistics.median(abs(gap))), 2),
                "draws_per_name": round(res.candidates / max(1, len(names)), 1),
                "examples": names[:8],
            }
        neutral[style] = out
    result = {
        "benchmark": "blends",
        "blends": blends,
        "neutral": neutral,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
