"""Test NLL on the exercise's 7,944 English names; prints JSON.

Split: the lines of ../shared/data/names.txt in file order, `random.Random(1234).shuffle`, the
last 10% (794 names) is test, the rest is what training may see. Measured in the same run:
- ours: `namesmith train --corpus <train part> --seconds 150`, then `namesmith evaluate`;
- the exercise's model, reproduced faithfully (embedding 16, tanh RNN cell of 64 units, Adam,
  1000 steps of 32 names), and the same for 10x its steps;
- a smoothed character bigram;
- novelty and duplicate rate of 1,000 of our samples at temperature 1 (casing rules applied,
  as `generate` applies them; the test NLL is the network's own, names scored as written).

NLL is nats per predicted token: each name is predicted from the start token, end included.

    .venv/bin/python -m benchmarks.quality [--names PATH] [--seconds 150]
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import torch
from torch import nn

from engine.nn.train import encode
from engine.nn.vocab import PAD, Vocabulary
from engine.serving import checkpoint
from engine.serving.sampling import sample_rows
from engine.serving.trained import NameModel

DEFAULT_NAMES = Path(__file__).resolve().parents[2] / "shared" / "data" / "names.txt"
TARGET, STRETCH = 1.90, 1.87


def load_split(path: Path) -> tuple[list[str], list[str]]:
    names = path.read_text(encoding="utf-8").splitlines()
    random.Random(1234).shuffle(names)
    n_test = len(names) // 10
    return names[:-n_test], names[-n_test:]


class ExerciseRNN(nn.Module):
    """The seminar's model: embedding 16 -> tanh RNN cell of 64 -> linear, no dropout."""

    def __init__(self, vocab_size: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, 16)
        self.cell = nn.RNNCell(16, 64, nonlinearity="tanh")
        self.head = nn.Linear(64, vocab_size)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        h = torch.zeros(tokens.shape[0], 64)
        out = []
        for t in range(tokens.shape[1]):  # the exercise steps the cell by hand
            h = self.cell(self.embed(tokens[:, t]), h)
            out.append(self.head(h))
        return torch.stack(out, 1)  # (b, t, vocab)


def exercise(train: list[str], test: list[str], steps: int, seed: int = 0) -> float:
    torch.manual_seed(seed)
    vocab = Vocabulary.from_names(train + test)
    data = encode(vocab, train, [0] * len(train))
    model = ExerciseRNN(len(vocab))
    opt = torch.optim.Adam(model.parameters())
    rng = random.Random(seed)
    for _ in range(steps):
        idx = torch.tensor(rng.sample(range(len(train)), 32))
        t = int(data.lengths[idx].max())
        logits = model(data.inputs[idx, :t])
        loss = nn.functional.cross_entropy(
            logits.flatten(0, 1), data.targets[idx, :t].flatten(), ignore_index=PAD
        )
        opt.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        opt.step()
    test_data = encode(vocab, test, [0] * len(test))
    with torch.no_grad():
        logits = model(test_data.inputs)
        nll = nn.functional.cross_entropy(
            logits.flatten(0, 1), test_data.targets.flatten(), ignore_index=PAD, reduction="sum"
        )
    return float(nll) / int(test_data.lengths.sum())


def bigram(train: list[str], test: list[str], alpha: float = 0.1) -> float:
    """Character bigram with add-alpha smoothing; alpha fixed, not tuned on test."""
    chars = sorted(set("".join(train + test)))
    n_out = len(chars) + 1  # characters and the end
    counts: Counter[tuple[str, str]] = Counter()
    ctx: Counter[str] = Counter()
    for name in train:
        seq = ["^", *name, "$"]
        for a, b in itertools.pairwise(seq):
            counts[a, b] += 1
            ctx[a] += 1
    total, tokens = 0.0, 0
    for name in test:
        seq = ["^", *name, "$"]
        for a, b in itertools.pairwise(seq):
            total -= math.log((counts[a, b] + alpha) / (ctx[a] + alpha * n_out))
            tokens += 1
    return total / tokens


def namesmith(*args: str) -> str:
    exe = Path(sys.executable).parent / "namesmith"
    return subprocess.run([str(exe), *args], check=True, capture_output=True, text=True).stdout


def train_and_evaluate(
    train: list[str], test: list[str], seconds: float, *extra: str
) -> tuple[float, NameModel]:
    """`namesmith train` on the train part, then `namesmith evaluate` on the test part."""
    with tempfile.TemporaryDirectory() as tmp:
        train_file, test_file, ckpt = (Path(tmp, n) for n in ("train.txt", "test.txt", "m.pt"))
        train_file.write_text("\n".join(train) + "\n", encoding="utf-8")
        test_file.write_text("\n".join(test) + "\n", encoding="utf-8")
        namesmith("train", "--corpus", str(train_file), "--out", str(ckpt),
                  "--seconds", str(seconds), "--quiet", *extra)  # fmt: skip
        out = namesmith("evaluate", "--checkpoint", str(ckpt), "--names", str(test_file), "--json")
        return float(json.loads(out)["nll"]), checkpoint.load(ckpt)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--names", type=Path, default=DEFAULT_NAMES)
    ap.add_argument("--seconds", type=float, default=150.0)
    ap.add_argument("--skip-exercise", action="store_true")
    ap.add_argument(
        "--cells",
        nargs="*",
        default=[],
        choices=["gru", "lstm", "rnn"],
        help="also train these cells with the same recipe and budget, for comparison",
    )
    args = ap.parse_args()
    if not args.names.is_file():
        print(
            json.dumps({"benchmark": "quality", "error": f"names list not found: {args.names}"}),
        )
        print(
            f"The exercise's names list is not at {args.names}; it lives in ../shared/data and "
            "is never copied into the repo. Pass --names PATH.",
            file=sys.stderr,
        )
        raise SystemExit(2)

    train, test = load_split(args.names)
    torch.set_num_threads(2)
    result: dict[str, object] = {
        "benchmark": "quality",
        "names": str(args.names),
        "train_names": len(train),
        "test_names": len(test),
        "target_test_nll": TARGET,
        "stretch_test_nll": STRETCH,
    }
    t0 = time.perf_counter()
    nll, model = train_and_evaluate(train, test, args.seconds)
    result["ours_train_seconds"] = round(time.perf_counter() - t0, 1)
    result["ours_test_nll"] = round(nll, 4)
    result["ours_model"] = {
        "cell": model.net.config.cell,
        "layers": model.net.config.n_layers,
        "hidden": model.net.config.n_hidden,
        **{k: model.metrics[k] for k in ("val_nll", "steps", "stopped")},
    }
    result["meets_target"] = nll <= TARGET
    result["meets_stretch"] = nll <= STRETCH

    gen = torch.Generator().manual_seed(0)
    n = 1000
    rows = sample_rows(
        model.net, [()] * n, torch.zeros(n, dtype=torch.long), torch.ones(n),
        torch.ones(n, dtype=torch.long), torch.full((n,), model.max_len + 4), gen,
        model.case_mask,
    )  # fmt: skip
    samples = [model.vocab.decode(r) for r in rows if r is not None]
    result["novelty"] = round(sum(s not in set(train) for s in samples) / len(samples), 3)
    result["duplicate_rate"] = round(1 - len(set(samples)) / len(samples), 3)

    for cell in args.cells:
        result[f"cell_{cell}_test_nll"] = round(
            train_and_evaluate(train, test, args.seconds, "--cell", cell)[0], 4
        )

    if not args.skip_exercise:
        result["exercise_1000_steps_test_nll"] = round(exercise(train, test, 1000), 4)
        result["exercise_10000_steps_test_nll"] = round(exercise(train, test, 10_000), 4)
    result["bigram_test_nll"] = round(bigram(train, test), 4)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
