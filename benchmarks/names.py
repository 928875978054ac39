"""What the names look like, per style and temperature, today's sampler against the new one in
one run; prints JSON (and, with --markdown, the README's table).

For each style and temperature, `--n` raw draws (one name per sampled row, no de-duplication,
labels drawn from the corpus prior), exactly the rows `generate` keeps before its own options:
- today: the style's per-style model of benchmarks.before.BEFORE_REV, plain sampling;
- shared_raw: the shared model, plain sampling (what the model alone changes);
- shared_clean: the shared model with clean sampling, as `generate` serves by default (min-p
  P_MIN, the temperature times CLEAN_HEAT inside what is left, then a name below its style's
  FLOOR_QUANTILE of corpus likelihood drawn again).
Measures:
- `broken`: share of names holding a letter triple (casefolded) that no name of the style's
  corpus has: "Leocrwfrnd", "Аснллвис";
- `copied`: share that is a name of the corpus;
- `distinct`: share of different names among the draws;
- `new_distinct`: share of draws that are new (not in the corpus) and not seen before in the
  draws: the variety a user gets;
- `broken_casing`: share whose casing the corpus never has (engine.nn.casing).

    .venv/bin/python -m benchmarks.names [--styles elf russian] [--n 1000] [--markdown]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterable

import torch

from benchmarks.before import BEFORE_REV, per_style_models
from engine.serving.registry import PACKAGED_MODELS, load_folder
from engine.serving.sampling import CLEAN_HEAT, FLOOR_QUANTILE, P_MIN, draw_rows
from engine.serving.trained import NameModel

TEMPERATURES = (0.7, 1.0, 1.2, 1.5)


def draw(model: NameModel, t: float, n: int, gen: torch.Generator, *, clean: bool) -> list[str]:
    """`n` raw names as `generate` draws them, before its options and de-duplication."""
    prior = torch.tensor(model.label_prior)
    limit = model.max_len + 4
    q = model.score_quantiles
    floor = q[round(FLOOR_QUANTILE * (len(q) - 1))] if clean and q else None
    names: list[str] = []
    while len(names) < n:
        k = n - len(names)
        rows, logliks = draw_rows(
            model.net,
            [()] * k,
            torch.multinomial(prior, k, replacement=True, generator=gen),
            torch.full((k,), t * (CLEAN_HEAT if clean else 1.0)),
            torch.ones(k, dtype=torch.long),
            torch.full((k,), limit, dtype=torch.long),
            gen,
            model.case_mask,
            P_MIN if clean else 0.0,
            exact=not clean,  # the plain sampler as it was: float32 matmuls
        )
        names.extend(
            model.vocab.decode(r)
            for r, ll in zip(rows, logliks, strict=True)
            if r is not None and (floor is None or ll >= floor)
        )
    return names


def triples(names: Iterable[str]) -> frozenset[str]:
    return frozenset(n.casefold()[i : i + 3] for n in names for i in range(len(n) - 2))


def shares(model: NameModel, known: frozenset[str], names: list[str]) -> dict[str, float]:
    seen: set[str] = set()
    new_distinct = 0
    for x in names:
        if x not in model.corpus_names and x not in seen:
            new_distinct += 1
        seen.add(x)

    def broken(name: str) -> bool:
        low = name.casefold()
        return any(low[i : i + 3] not in known for i in range(len(low) - 2))

    n = len(names)
    return {
        "broken": round(sum(map(broken, names)) / n, 4),
        "copied": round(sum(x in model.corpus_names for x in names) / n, 4),
        "distinct": round(len(seen) / n, 4),
        "new_distinct": round(new_distinct / n, 4),
        "broken_casing": round(sum(bool(model.casing.broken(x)) for x in names) / n, 4),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--styles", nargs="*", help="default: every shipped style")
    ap.add_argument("--n", type=int, default=1000, help="draws per style, sampler, temperature")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    before, now = per_style_models(), load_folder(PACKAGED_MODELS)
    styles = args.styles or [s for s in now if s in before]  # today's styles: a before to compare
    table: dict[str, dict[str, dict[str, dict[str, float]]]] = {}
    for style in styles:
        known = triples(now[style].corpus_names)
        table[style] = {}
        for t in TEMPERATURES:
            runs = {
                "today": (before[style], False),
                "shared_raw": (now[style], False),
                "shared_clean": (now[style], True),
            }
            table[style][f"t={t:g}"] = {
                name: shares(
                    model,
                    known,
                    draw(model, t, args.n, torch.Generator().manual_seed(0), clean=clean),
                )
                for name, (model, clean) in runs.items()
            }
    if args.markdown:
        print("| style | t | broken: today → now | copied: today → now | new & distinct |")
        print("|---|---|---|---|---|")
        for style, by_t in table.items():
            for temp, r in by_t.items():
                a, b = r["today"], r["shared_clean"]
                print(
                    f"| {style} | {temp[2:]} | {a['broken']:.3f} → {b['broken']:.3f} | "
                    f"{a['copied']:.3f} → {b['copied']:.3f} | "
                    f"{a['new_distinct']:.3f} → {b['new_distinct']:.3f} |"
                )
    result = {
        "benchmark": "names",
        "before": BEFORE_REV,
        "draws": args.n,
        "p_min": P_MIN,
        "floor_quantile": FLOOR_QUANTILE,
        "clean_heat": CLEAN_HEAT,
        "seconds": round(time.perf_counter() - t0, 1),
        "styles": table,
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
