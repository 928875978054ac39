"""Sampling speed of a shipped style; prints JSON.

Measured in the same run, on the same model:
- `one_at_a_time`: the exercise's loop, one name at a time, batch of one, until its end token;
- `plain_batched`: all rows advance together but finished rows stay in the batch to the end;
- `ours`: engine.serving.sampling, rows leave the batch as they end, casing rules applied
  (1,000 rows, and 1,000 distinct names through `generate`, which also removes duplicates and
  applies the word filter); `ours_without_casing`: the same rows without the casing mask;
- the latency of one 10-name request, median and p90 over many runs;
- novelty (share of samples not in the training list) and the duplicate rate of 1,000 samples;
- `today_vs_now`: today's per-style model (benchmarks.before) through this sampler's loop with
  plain sampling and float32 matmuls, as today's sampler did them, and the shared model's view
  as served now (clean sampling: min-p, the plausibility floor; int8 recurrent matmuls),
  alternating runs in one process: names/s of 1,000 rows and one 10-name request's median
  latency;
- `per_style`: one 10-name request's median latency for each of today's twenty styles, today
  (its own model, of 96 to 320 units) and now alternating request by request;
- `rotating`: the median latency of 10-name requests going round today's twenty styles, on
  both sides, in alternating rounds: the fused steps are kept for the last MAX_STEPPERS styles,
  so that they are rebuilt as a busy chat makes them; today's sampler kept a step for every
  style, which today's side is given. And, for the record, the shared model going round all
  of its 78 styles;
- `int8_nll`: nats per letter of the style's own names as the sampler's float32 and int8 steps
  read them, and how far int8 moves a letter's log-probability (the int8 matmul's effect on
  the probabilities names are drawn with);
- `resident_mb`: the memory of the models a process serves, today's twenty files against the
  shared model's views of every style it ships (resident set growth from loading them, after
  sampling today's twenty styles once, and, for the shared model, after sampling all of its
  styles once; in a fresh child process each).

    .venv/bin/python -m benchmarks.sampling [--style english] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch

from benchmarks.before import per_style_models
from engine.nn.vocab import BOS, EOS, PAD
from engine.serving import sampling
from engine.serving.registry import PACKAGED_MODELS, load_folder
from engine.serving.sampling import P_MIN, GenerationRequest, _Stepper, generate, sample_rows
from engine.serving.trained import NameModel

N = 1000


@torch.inference_mode()
def one_at_a_time(model: NameModel, n: int, gen: torch.Generator) -> list[str]:
    names = []
    for _ in range(n):
        x, state, ids = torch.tensor([BOS]), None, []
        label = torch.multinomial(torch.tensor(model.label_prior), 1, generator=gen)
        for _ in range(model.max_len + 4):
            logits, state = model.net.step(x, label, state)
            x = torch.multinomial(torch.softmax(logits, -1), 1, generator=gen)[0]
            if int(x) == EOS:
                break
            ids.append(int(x))
        names.append(model.vocab.decode(ids))
    return names


@torch.inference_mode()
def plain_batched(model: NameModel, n: int, gen: torch.Generator) -> list[str]:
    labels = torch.multinomial(torch.tensor(model.label_prior), n, replacement=True, generator=gen)
    x, state = torch.full((n,), BOS), None
    out, done = [], torch.zeros(n, dtype=torch.bool)
    for _ in range(model.max_len + 4):
        logits, state = model.net.step(x, labels, state)
        x = torch.multinomial(torch.softmax(logits, -1), 1, generator=gen)[:, 0]
        out.append(x)
        done |= x == EOS
        if bool(done.all()):
            break
    rows = torch.stack(out, 1).tolist()
    return [model.vocab.decode(r[: r.index(EOS)] if EOS in r else r) for r in rows]


def ours_rows(
    model: NameModel,
    n: int,
    gen: torch.Generator,
    *,
    casing: bool = True,
    p_min: float = 0.0,
    exact: bool = False,
) -> list[str]:
    labels = torch.multinomial(torch.tensor(model.label_prior), n, replacement=True, generator=gen)
    rows = sample_rows(
        model.net,
        [()] * n,
        labels,
        torch.ones(n),
        torch.ones(n, dtype=torch.long),
        torch.full((n,), model.max_len + 4, dtype=torch.long),
        gen,
        model.case_mask if casing else None,
        p_min,
        exact=exact,
    )
    return [model.vocab.decode(r) for r in rows if r is not None]


def rate(fn: Callable[[NameModel, int, torch.Generator], list[str]], model: NameModel, n: int,
         repeats: int) -> tuple[float, list[str]]:  # fmt: skip
    """Best names/s of `repeats` runs (the least disturbed by the rest of the machine)."""
    best, names = 0.0, []
    for r in range(repeats):
        gen = torch.Generator().manual_seed(r)
        t0 = time.perf_counter()
        names = fn(model, n, gen)
        best = max(best, len(names) / (time.perf_counter() - t0))
    return best, names


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--style", default="english")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--latency-runs", type=int, default=300)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    models, todays = load_folder(PACKAGED_MODELS), per_style_models()
    model, today = models[args.style], todays[args.style]
    side = today_vs_now(today, model, args.latency_runs)

    single, _ = rate(one_at_a_time, model, 200, 2)
    plain, _ = rate(plain_batched, model, N, 5)
    rows, sample = rate(ours_rows, model, N, 5)
    uncased, _ = rate(lambda m, n, g: ours_rows(m, n, g, casing=False), model, N, 5)

    def distinct(m: NameModel, n: int, gen: torch.Generator) -> list[str]:
        return list(generate(m, GenerationRequest(count=n, seed=int(gen.initial_seed()))).names)

    distinct_rate, _ = rate(distinct, model, N, 5)

    latencies = []
    for i in range(args.latency_runs):
        t0 = time.perf_counter()
        generate(model, GenerationRequest(count=10, seed=i))
        latencies.append((time.perf_counter() - t0) * 1000)
    latencies.sort()

    result = {
        "benchmark": "sampling",
        "style": args.style,
        "model": f"{model.net.config.cell} {model.net.config.n_layers}x{model.net.config.n_hidden}",
        "threads": args.threads,
        "one_at_a_time_names_per_s": round(single),
        "plain_batched_names_per_s": round(plain),
        "ours_names_per_s": round(rows),
        "ours_without_casing_names_per_s": round(uncased),
        "ours_distinct_names_per_s": round(distinct_rate),
        "speedup_vs_one_at_a_time": round(rows / single, 1),
        "speedup_vs_plain_batched": round(rows / plain, 2),
        "target_speedup": 20,
        "request_10_names_ms_median": round(statistics.median(latencies), 2),
        "request_10_names_ms_p90": round(latencies[int(0.9 * len(latencies))], 2),
        "target_request_ms_median": 5,
        "novelty": round(sum(n not in model.corpus_names for n in sample) / len(sample), 3),
        "duplicate_rate": round(1 - len(set(sample)) / len(sample), 3),
        "today_vs_now": side,
        "per_style": per_style(todays, models, 41),
        "rotating": rotating(todays, models, args.latency_runs),
        "int8_nll": int8_nll_change(model),
        "resident_mb": {"today": resident("today"), "now": resident("now")},
    }
    print(json.dumps(result, indent=2))


def today_vs_now(today: NameModel, now: NameModel, runs: int) -> dict[str, object]:
    """Alternating runs, so both sides see the same machine."""
    rates: dict[str, list[float]] = {"today": [], "now": []}
    lat: dict[str, list[float]] = {"today": [], "now": []}
    for r in range(10):
        for key, model, p_min in (("today", today, 0.0), ("now", now, P_MIN)):
            gen = torch.Generator().manual_seed(r)
            t0 = time.perf_counter()
            names = ours_rows(model, N, gen, p_min=p_min, exact=key == "today")
            rates[key].append(len(names) / (time.perf_counter() - t0))
    for i in range(runs):
        for key, model, clean in (("today", today, False), ("now", now, True)):
            t0 = time.perf_counter()
            generate(model, GenerationRequest(count=10, seed=i, clean=clean), exact=not clean)
            lat[key].append((time.perf_counter() - t0) * 1000)
    out: dict[str, object] = {}
    for key in ("today", "now"):
        out[key] = {
            "names_per_s_best": round(max(rates[key])),
            "request_10_names_ms_median": round(statistics.median(lat[key]), 2),
        }
    out["names_per_s_ratio"] = round(max(rates["now"]) / max(rates["today"]), 3)
    out["latency_ratio"] = round(statistics.median(lat["now"]) / statistics.median(lat["today"]), 3)
    out["target"] = "names/s and latency within 10% of today's"
    return out


@contextmanager
def steps_kept(n: int) -> Iterator[None]:
    """Keep fused steps for the last `n` styles (sampling.MAX_STEPPERS) inside the block."""
    kept = sampling.MAX_STEPPERS
    sampling.MAX_STEPPERS = n
    try:
        yield
    finally:
        sampling.MAX_STEPPERS = kept


@torch.inference_mode()
def per_style(
    today: dict[str, NameModel], now: dict[str, NameModel], runs: int
) -> dict[str, object]:
    """The `per_style` measure (module docstring): one 10-name request's median latency for
    each of today's styles, today and now alternating request by request, every step kept."""
    out: dict[str, object] = {}
    within = []
    with steps_kept(2 * len(today)):
        for style in today:
            lat: dict[str, list[float]] = {"today": [], "now": []}
            for i in range(runs):
                for key, model, exact in (
                    ("today", today[style], True),
                    ("now", now[style], False),
                ):
                    ask = GenerationRequest(style=style, count=10, seed=i, clean=not exact)
                    t0 = time.perf_counter()
                    generate(model, ask, exact=exact)
                    lat[key].append((time.perf_counter() - t0) * 1000)
            a, b = statistics.median(lat["today"][1:]), statistics.median(lat["now"][1:])
            c = today[style].net.config
            out[style] = {
                "today_model": f"{c.cell} {c.n_hidden}",
                "today_ms": round(a, 2),
                "now_ms": round(b, 2),
                "ratio": round(b / a, 2),
            }
            within.append(b <= 1.1 * a)
    out["styles_within_10_percent"] = sum(within)
    return out


@torch.inference_mode()
def rotating(
    today: dict[str, NameModel], now: dict[str, NameModel], runs: int
) -> dict[str, object]:
    """The `rotating` measure (module docstring): 10-name requests going round today's styles,
    on both sides in alternating blocks of one round each (so both see the same machine), and,
    for the record, the shared model going round all of its styles."""
    styles = list(today)
    lat: dict[str, list[float]] = {"today": [], "now": [], "now_all": []}

    def go_round(key: str, models: dict[str, NameModel], exact: bool, first: int) -> None:
        for i, style in enumerate(models):
            t0 = time.perf_counter()
            ask = GenerationRequest(style=style, count=10, seed=first + i, clean=not exact)
            generate(models[style], ask, exact=exact)
            lat[key].append((time.perf_counter() - t0) * 1000)

    for r in range(max(1, runs // len(styles))):
        # Today's sampler kept a step for every style; the first round after the shared
        # model's turn only builds today's steps again, and is not counted.
        with steps_kept(len(styles)):
            counted = len(lat["today"])
            go_round("today", today, True, r * len(styles))
            del lat["today"][counted:]
            go_round("today", today, True, r * len(styles))
        go_round("now", {s: now[s] for s in styles}, False, r * len(styles))
    go_round("now_all", now, False, 0)
    a, b = statistics.median(lat["today"]), statistics.median(lat["now"])
    return {
        "styles": len(styles),
        "today_request_10_names_ms_median": round(a, 2),
        "now_request_10_names_ms_median": round(b, 2),
        "latency_ratio": round(b / a, 3),
        "now_all_styles": len(now),
        "now_all_request_10_names_ms_median": round(statistics.median(lat["now_all"]), 2),
    }


@torch.inference_mode()
def int8_nll_change(model: NameModel, n: int = 2000) -> dict[str, float]:
    """Up to `n` of the style's corpus names (every name read with the first label), read
    letter by letter by the sampler's float32 and int8 steps, all in one batch: nats per letter
    (end included) under each, and how far int8 moves a letter's log-probability (mean, 99th
    percentile and most, in nats)."""
    names = random.Random(0).sample(sorted(model.corpus_names), min(n, len(model.corpus_names)))
    ids = [[*model.vocab.encode(name), EOS] for name in names]
    width = max(map(len, ids))
    targets = torch.tensor([r + [PAD] * (width - len(r)) for r in ids])
    labels = torch.zeros(len(ids), dtype=torch.long)
    logps: dict[str, torch.Tensor] = {}
    for key, exact in (("float32", True), ("int8", False)):
        step, state = _Stepper(model.net, exact=exact), None
        x, out = torch.full((len(ids),), BOS), []
        for t in range(width):
            logits, state = step(x, labels, state)
            y = targets[:, t]
            out.append(torch.log_softmax(logits, -1).gather(1, y.clamp(min=0)[:, None])[:, 0])
            x = torch.where(y == PAD, BOS, y)
        logps[key] = torch.stack(out, 1)[targets != PAD]
    diff = (logps["int8"] - logps["float32"]).abs()
    return {
        "float32": round(-float(logps["float32"].mean()), 5),
        "int8": round(-float(logps["int8"].mean()), 5),
        "letter_logp_change_mean": round(float(diff.mean()), 4),
        "letter_logp_change_p99": round(float(diff.quantile(0.99)), 4),
        "letter_logp_change_max": round(float(diff.max()), 4),
    }


def resident(which: str) -> dict[str, float]:
    """Resident memory growth (MB) of a fresh process loading `which` models and sampling
    every style once."""
    code = f"""
import json, torch
torch.set_num_threads(1)
from engine.serving.sampling import GenerationRequest, generate
def rss():
    return int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20
base = rss()
if "{which}" == "today":
    from benchmarks.before import per_style_models
    models = per_style_models()
else:
    from engine.serving.registry import PACKAGED_MODELS, load_folder
    models = load_folder(PACKAGED_MODELS)
loaded = rss()
from engine.corpora.recipes import FIRST_STYLES
exact = "{which}" == "today"  # today's sampler: float32 matmuls
for style in FIRST_STYLES:  # the twenty styles today serves
    generate(models[style], GenerationRequest(style=style, count=20, seed=1), exact=exact)
twenty = rss()
for style, m in models.items():
    generate(m, GenerationRequest(style=style, count=20, seed=1), exact=exact)
print(json.dumps({{"styles": len(models), "loaded": round(loaded - base, 1),
                  "after_sampling_today_s_20": round(twenty - base, 1),
                  "after_sampling_all": round(rss() - base, 1), "process": round(rss(), 1)}}))
"""
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    result: dict[str, float] = json.loads(out.stdout)
    return result


if __name__ == "__main__":
    main()
