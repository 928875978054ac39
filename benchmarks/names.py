"""What the names look like, per shipped style and temperature; prints JSON.

For each style at t = 0.3, 1 and 2, over 1,000 raw draws (one name per sampled row, no
de-duplication, labels drawn from the corpus prior, exactly the rows `generate` draws from):
- `broken_casing`: share whose casing the corpus never has (engine.nn.casing: a transition between
  capital / lowercase / other characters that no corpus name has), for the engine's sampling
  (`broken_casing`) and for the same model sampled without the casing mask
  (`broken_casing_unmasked`, the sampler before casing rules, measured in the same run);
- `copied`: share that is a name of the training corpus;
- `duplicates`: share that repeats an earlier draw;
- `filtered`: how many of the 1,000 draws the word filter (engine.corpora.wordfilter) would
  withhold;
- `new`: the same for draws kept only when not in the corpus, until 1,000 are kept
  (`draws_per_kept` is the cost: raw draws per name not in the corpus);
- `lists_default` / `lists_new`: what users get from 100 requests of 10 names through
  `generate`, without and with `new_only`: names found per request, requests that came back
  short, the median name-likeness percentile of the first 3 names of each (scoring.score
  against the style's own corpus) and the median request time.

    .venv/bin/python -m benchmarks.names [--styles elf dwarf] [--n 1000] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

from engine.corpora.wordfilter import WordFilter
from engine.serving import scoring
from engine.serving.registry import PACKAGED_MODELS, load_folder
from engine.serving.sampling import GenerationRequest, generate, sample_rows
from engine.serving.trained import NameModel

TEMPERATURES = (0.3, 1.0, 2.0)
INVENTED_WORLDS = ("elf", "dwarf", "halfling", "goblin", "human")


def draw(model: NameModel, t: float, n: int, gen: torch.Generator, *, masked: bool) -> list[str]:
    """`n` raw names as `generate` draws them, before its filters and de-duplication."""
    prior = torch.tensor(model.label_prior)
    limit = model.max_len + 4
    names: list[str] = []
    while len(names) < n:
        k = n - len(names)
        rows = sample_rows(
            model.net,
            [()] * k,
            torch.multinomial(prior, k, replacement=True, generator=gen),
            torch.full((k,), t),
            torch.ones(k, dtype=torch.long),
            torch.full((k,), limit, dtype=torch.long),
            gen,
            model.case_mask if masked else None,
        )
        names.extend(model.vocab.decode(r) for r in rows if r is not None)
    return names


def shares(model: NameModel, names: list[str], words: WordFilter) -> dict[str, float | int]:
    return {
        "broken_casing": round(sum(bool(model.casing.broken(x)) for x in names) / len(names), 4),
        "copied": round(sum(x in model.corpus_names for x in names) / len(names), 4),
        "duplicates": round(1 - len(set(names)) / len(names), 4),
        "filtered": sum(words.blocks(x) for x in names),
    }


def lists(model: NameModel, style: str, t: float, new_only: bool, runs: int) -> dict[str, float]:
    """What users see: `runs` requests of 10 names."""
    found: list[int] = []
    times: list[float] = []
    pct: list[float] = []
    for seed in range(runs):
        request = GenerationRequest(style, temperature=t, count=10, new_only=new_only, seed=seed)
        t0 = time.perf_counter()
        result = generate(model, request)
        times.append((time.perf_counter() - t0) * 1000)
        found.append(len(result.names))
        pct.extend(scoring.score(model, x).percentile for x in result.names[:3])
    return {
        "names_per_request": round(statistics.mean(found), 2),
        "requests_short": sum(f < 10 for f in found),
        "median_percentile": round(statistics.median(pct), 1),
        "request_ms_median": round(statistics.median(times), 2),
    }


def measure(model: NameModel, style: str, n: int, runs: int) -> dict[str, object]:
    words = WordFilter.default()
    out: dict[str, object] = {}
    for t in TEMPERATURES:
        gen = torch.Generator().manual_seed(0)
        names = draw(model, t, n, gen, masked=True)
        unmasked = draw(model, t, n, torch.Generator().manual_seed(0), masked=False)
        kept: list[str] = []
        drawn = 0
        while len(kept) < n and drawn < 60 * n:
            batch = draw(model, t, n, gen, masked=True)
            drawn += len(batch)
            kept.extend(x for x in batch if x not in model.corpus_names)
        share_new = len(kept) / drawn
        kept = kept[:n]
        row: dict[str, object] = {
            **shares(model, names, words),
            "broken_casing_unmasked": shares(model, unmasked, words)["broken_casing"],
            "new": {
                **(shares(model, kept, words) if kept else {}),
                "draws_per_kept": round(1 / share_new, 2) if share_new else None,
            },
            "lists_default": lists(model, style, t, False, runs),
            "lists_new": lists(model, style, t, True, runs),
        }
        out[f"t={t:g}"] = row
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--styles", nargs="*", help="default: every shipped style")
    ap.add_argument("--n", type=int, default=1000, help="draws per style and temperature")
    ap.add_argument("--runs", type=int, default=100, help="10-name requests per list figure")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    models = load_folder(PACKAGED_MODELS)
    styles = args.styles or list(models)
    result = {
        "benchmark": "names",
        "draws": args.n,
        "requests": args.runs,
        "styles": {s: measure(models[s], s, args.n, args.runs) for s in styles},
    }
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
