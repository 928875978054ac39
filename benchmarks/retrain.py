"""A retrain from chat, measured: how long to reach the CLI's quality, and what serving pays.

Prints JSON. Everything runs in this one process, like the bot: a `NameEngine` serving the
shipped english style, and a `Retrainer` training in its niced, one-thread child process.

- Time to quality: the exercise's 7,944 names (../shared/data/names.txt, read by path, never
  copied), split like benchmarks/quality.py (`random.Random(1234)`, the last 10% is test). The
  train part is retrained through `Retrainer` with time budgets in ascending order until one
  reaches within 0.02 nats of the reference; each adopted model is scored on the test part in
  nats per token, as `namesmith evaluate` does. The reference is `namesmith train --seconds 150`
  on the same split (two threads, not niced), measured in the same run unless --reference is
  given (the README's figure is 1.860).
- Serving while training: 50 simulated users send a 5-name request with exponential think time
  (mean 2.5 s, about 20 requests/s, like bot_latency's steady run) straight to the engine;
  p50/p99 latency idle first, then while the retrains run, in the same run.

- A new style from a short list (`--short-list`, needs no names file): faker's family names of
  a locale no shipped style covers (zu_ZA, Zulu, by default), cleaned as a corpus is, shuffled with
  `random.Random(1337)`: 500 to train on, 200 held out. `namesmith train --seconds 30` (the
  default: a new voice of the shipped model) against today's `namesmith train --seconds 150
  --from-scratch`, each scored by `namesmith evaluate` on the 200 held-out names (those whose
  letters the 500 have: both models can only write those), in the same run.

    nice -n 10 .venv/bin/python -m benchmarks.retrain [--names PATH] [--reference 1.860]
                                                      [--budgets 60 90 120 150 200 300]
    .venv/bin/python -m benchmarks.retrain --short-list [--locale zu_ZA]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.quality import DEFAULT_NAMES, load_split, train_and_evaluate
from engine.corpora import corpus
from engine.retraining.supervisor import Retrainer
from engine.serving import scoring
from engine.serving.generator import NameEngine
from engine.serving.modelstore import ModelStore
from engine.serving.registry import PACKAGED_MODELS, ModelRegistry
from engine.serving.sampling import GenerationRequest

WITHIN = 0.02
USERS, THINK = 50, 2.5


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _summary(latencies: list[float], seconds: float) -> dict[str, float | int]:
    return {
        "requests": len(latencies),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(_pct(latencies, 0.99), 1),
        "max_ms": round(max(latencies), 1),
        "requests_per_s": round(len(latencies) / seconds, 1),
    }


class Load:
    """USERS users asking the engine for names until stopped; latencies go to `bucket`."""

    def __init__(self, engine: NameEngine) -> None:
        self.engine = engine
        self.bucket: list[float] = []
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def _user(self, uid: int) -> None:
        rng = random.Random(uid)
        await asyncio.sleep(rng.uniform(0, THINK))
        while not self._stop.is_set():
            t0 = time.perf_counter()
            await self.engine.generate(GenerationRequest(style="english", count=5))
            self.bucket.append((time.perf_counter() - t0) * 1000)
            await asyncio.sleep(rng.expovariate(1 / THINK))

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._user(u)) for u in range(USERS)]

    def collect(self) -> list[float]:
        """The latencies since the last call."""
        taken, self.bucket = self.bucket, []
        return taken

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks)


async def _run(args: argparse.Namespace) -> dict[str, object]:
    train, test = load_split(args.names)
    result: dict[str, object] = {
        "benchmark": "retrain",
        "names": str(args.names),
        "train_names": len(train),
        "test_names": len(test),
        # Wall-clock budgets mean little on a shared machine without the load beside them.
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    if args.reference is None:
        t0 = time.perf_counter()
        ref, _ = await asyncio.to_thread(train_and_evaluate, train, test, 150.0)
        result["reference"] = {
            "how": "namesmith train --seconds 150 on the same split (2 threads, not niced)",
            "test_nll": round(ref, 4),
            "seconds": round(time.perf_counter() - t0, 1),
        }
    else:
        ref = args.reference
        result["reference"] = {"how": "given with --reference", "test_nll": ref}
    goal = ref + WITHIN
    result["goal_test_nll"] = round(goal, 4)

    engine = NameEngine.from_folders(PACKAGED_MODELS, workers=2, torch_threads=1)
    load = Load(engine)
    load.start()
    await asyncio.sleep(args.warmup)  # threads, caches and the first batches are not measured
    load.collect()
    await asyncio.sleep(args.idle)
    idle = _summary(load.collect(), args.idle)
    result["serving_idle"] = idle

    data = corpus.clean("exercise", [(n, "") for n in train])
    runs: list[dict[str, object]] = []
    reached: dict[str, object] | None = None
    training_latencies: list[float] = []
    training_seconds = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        registry = ModelRegistry()
        retrainer = Retrainer(ModelStore(tmp), registry, max_seconds=max(args.budgets))
        for budget in args.budgets:
            load.collect()
            t0 = time.perf_counter()
            job = await retrainer.start(
                "exercise", data, seconds=budget, force=True, requested_by="benchmark"
            )
            res = await job.result()
            wall = time.perf_counter() - t0
            training_seconds += wall
            training_latencies += load.collect()
            if not res.adopted:
                runs.append({"budget_s": budget, "outcome": res.outcome, "reason": res.reason})
                continue
            model = registry.get("exercise")
            nll = scoring.mean_nll(model, [model.as_written(n) for n in test])
            run: dict[str, object] = {
                "budget_s": budget,
                "job_wall_s": round(wall, 1),
                "steps": res.steps,
                "steps_per_s": round(res.steps / budget, 1),
                "val_nll": round(res.new_val_nll or float("nan"), 4),
                "test_nll": round(nll, 4),
                "within_goal": nll <= goal,
            }
            runs.append(run)
            print(json.dumps(run), file=sys.stderr)
            if nll <= goal:
                reached = run
                break
    await load.stop()
    await engine.aclose()

    result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    result["retrain_runs"] = runs
    result["time_to_goal"] = (
        {"budget_s": reached["budget_s"], "job_wall_s": reached["job_wall_s"]} if reached else None
    )
    busy = _summary(training_latencies, training_seconds)
    result["serving_while_training"] = busy
    result["p99_ratio_training_vs_idle"] = round(busy["p99_ms"] / idle["p99_ms"], 2)
    result["target"] = "p99 while training <= 2x idle"
    return result


def short_list(locale: str, new_seconds: float, old_seconds: float) -> dict[str, object]:
    """The short-list measure (module docstring), through the real command line."""
    from engine.corpora.sources import family_names, shipped_locales

    if locale in shipped_locales():
        raise SystemExit(f"{locale} is shipped: the short list must be a culture none covers")
    data = corpus.clean(locale, family_names(locale)())
    order = list(range(len(data)))
    random.Random(1337).shuffle(order)
    pool, held = order[:500], order[500:700]
    letters = {c for i in pool for c in data.names[i]}
    test = [data.names[i] for i in held if set(data.names[i]) <= letters]
    exe = str(Path(sys.executable).parent / "namesmith")
    out: dict[str, object] = {
        "locale": locale, "corpus_names": len(data), "train_names": len(pool),
        "held_out": len(held), "held_out_scored": len(test),
    }  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        train_file, test_file = Path(tmp) / "train.txt", Path(tmp) / "test.txt"
        train_file.write_text(
            "".join(f"{data.names[i]}\t{data.labels[data.label_ids[i]]}\n" for i in pool)
        )
        test_file.write_text("".join(f"{n}\n" for n in test))
        for key, seconds, extra in (
            ("shared_model", new_seconds, []),
            ("from_scratch", old_seconds, ["--from-scratch"]),
        ):
            model = Path(tmp) / f"{key}.pt"
            t0 = time.perf_counter()
            cmd = [exe, "train", "--corpus", str(train_file), "--out", str(model),
                   "--seconds", str(seconds), "--threads", "1", "--quiet", *extra]  # fmt: skip
            trained = subprocess.run(cmd, check=True, capture_output=True, text=True)
            wall = time.perf_counter() - t0
            evaluated = subprocess.run(
                [exe, "evaluate", "--checkpoint", str(model), "--names", str(test_file), "--json"],
                check=True, capture_output=True, text=True,
            )  # fmt: skip
            out[key] = {
                "command": f"namesmith train --seconds {seconds:g} {' '.join(extra)}".strip(),
                "test_nll": round(json.loads(evaluated.stdout)["nll"], 4),
                "wall_s": round(wall, 1),
                "said": trained.stdout.strip().splitlines()[-1],
            }
    new, old = out["shared_model"], out["from_scratch"]
    assert isinstance(new, dict) and isinstance(old, dict)
    out["gain_nats"] = round(old["test_nll"] - new["test_nll"], 4)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--short-list", action="store_true", help="only the short-list measure")
    ap.add_argument("--locale", default="zu_ZA", help="faker locale of the short list")
    ap.add_argument("--names", type=Path, default=DEFAULT_NAMES)
    ap.add_argument("--budgets", type=int, nargs="+", default=[60, 90, 120, 150, 200, 300])
    ap.add_argument("--reference", type=float, help="skip the reference run; use this test NLL")
    ap.add_argument("--idle", type=float, default=30.0, help="seconds of idle serving measured")
    ap.add_argument("--warmup", type=float, default=5.0, help="seconds of load not measured")
    args = ap.parse_args()
    if args.short_list:
        result = {"benchmark": "retrain", "short_list": short_list(args.locale, 30.0, 150.0)}
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return
    if not args.names.is_file():
        print(json.dumps({"benchmark": "retrain", "error": f"names list not found: {args.names}"}))
        print(
            f"The exercise's names list is not at {args.names}; it lives in ../shared/data and "
            "is never copied into the repo. Pass --names PATH.",
            file=sys.stderr,
        )
        raise SystemExit(2)
    print(json.dumps(asyncio.run(_run(args)), indent=2))


if __name__ == "__main__":
    main()
