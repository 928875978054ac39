"""`namesmith train | sample | evaluate | score | styles`: the engine from a command line."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tqdm import tqdm

from engine import checkpoint, corpus, sampling, scoring
from engine.errors import CorpusError, UnknownStyle
from engine.facade import PACKAGED_MODELS, load_models
from engine.model import ModelConfig
from engine.namemodel import NameModel
from engine.train import Progress, TrainConfig, train


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("train", help="train a style's model on a corpus")
    p.add_argument("--corpus", default="english", help=f"{', '.join(corpus.BUILTIN)} or a file")
    p.add_argument("--out", required=True, type=Path, help="checkpoint file to write")
    p.add_argument("--seconds", type=float, default=150.0, help="time budget (default 150)")
    p.add_argument("--max-steps", type=int, help="step budget; makes the run repeatable")
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument("--cell", choices=["gru", "lstm", "rnn"], default="lstm")
    p.add_argument("--hidden", type=int, default=320)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--embd", type=int, default=64)
    p.add_argument("--dropout", type=float, default=0.4)
    p.add_argument("--weight-drop", type=float, default=0.25, help="DropConnect on the recurrence")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=5e-3)
    p.add_argument("--ema", type=float, default=0.999, help="weight averaging; 0 turns it off")
    p.add_argument("--threads", type=int, help="torch threads (default: every core)")
    p.add_argument("--description", default="", help="one line shown by /styles")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("sample", help="invent names")
    _style_args(p)
    p.add_argument("--prefix", default="")
    p.add_argument("--temperature", "-t", type=float, default=1.0)
    p.add_argument("-n", "--count", type=int, default=10)
    p.add_argument("--gender", "--label", dest="label")
    p.add_argument("--min-len", type=int)
    p.add_argument("--max-len", type=int)
    p.add_argument("--ends", default="", help="names must end with this")
    p.add_argument("--contains", default="", help="names must contain this")
    p.add_argument("--new", action="store_true", help="only names not in the training list")
    p.add_argument("--seed", type=int)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("evaluate", help="mean NLL (nats per predicted token) on a names file")
    p.add_argument("--checkpoint", required=True, type=Path)
    p.add_argument("--names", required=True, type=Path, help="one name per line")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("score", help="how name-like a name is")
    p.add_argument("name")
    _style_args(p)
    p.add_argument("--gender", "--label", dest="label")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_score)

    p = sub.add_parser("styles", help="list the styles")
    p.add_argument("--models", type=Path, default=PACKAGED_MODELS)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_styles)


def _style_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--style", "-s", default="english")
    p.add_argument("--checkpoint", type=Path, help="a checkpoint file instead of a style")
    p.add_argument("--models", type=Path, default=PACKAGED_MODELS, help="folder of <style>.pt")


def _model(args: argparse.Namespace) -> NameModel:
    if args.checkpoint:
        return checkpoint.load(args.checkpoint)
    path = args.models / f"{args.style}.pt"
    if not path.is_file():
        raise UnknownStyle(args.style, [p.stem for p in args.models.glob("*.pt")])
    return checkpoint.load(path)


def _emit(args: argparse.Namespace, data: dict[str, Any], text: str) -> None:
    print(json.dumps(data, ensure_ascii=False) if args.json else text)


def cmd_train(args: argparse.Namespace) -> None:
    data = corpus.load(args.corpus)
    print(f"corpus {data.name}: {data.report.summary()}", file=sys.stderr)
    config = TrainConfig(
        seconds=args.seconds,
        max_steps=args.max_steps,
        batch_size=args.batch_size,
        lr=args.lr,
        ema=args.ema,
        seed=args.seed,
        threads=args.threads,
    )
    model_config = ModelConfig(
        vocab_size=0,
        cell=args.cell,
        n_embd=args.embd,
        n_hidden=args.hidden,
        n_layers=args.layers,
        dropout=args.dropout,
        weight_drop=args.weight_drop,
    )
    total = args.max_steps or args.seconds
    with tqdm(total=total, disable=args.quiet, unit="step" if args.max_steps else "s") as bar:

        def show(p: Progress) -> None:
            bar.n = p.step if args.max_steps else round(p.elapsed, 1)
            val = f"{p.best_val:.3f}" if p.best_val < float("inf") else "-"
            bar.set_postfix_str(f"step {p.step} loss {p.train_loss:.3f} val {val}", refresh=False)
            bar.refresh()

        result = train(data, config, model_config, show)
    metrics = {
        "val_nll": result.val_nll,
        "train_nll": result.train_nll,
        "steps": result.steps,
        "seconds": round(result.seconds, 1),
        "stopped": result.stopped,
    }
    description = args.description or (
        corpus.BUILTIN[args.corpus][0] if args.corpus in corpus.BUILTIN else data.name
    )
    model = checkpoint.build(result.model, result.vocab, data, metrics, description)
    checkpoint.save(model, args.out)
    print(
        f"wrote {args.out}: validation NLL {result.val_nll:.4f} nats/token "
        f"(train {result.train_nll:.4f}), best at step {result.steps}, stopped by {result.stopped}"
    )


def cmd_sample(args: argparse.Namespace) -> None:
    model = _model(args)
    request = sampling.GenerationRequest(
        style=args.style,
        prefix=args.prefix,
        temperature=args.temperature,
        count=args.count,
        label=args.label,
        min_len=args.min_len,
        max_len=args.max_len,
        ends_with=args.ends,
        contains=args.contains,
        new_only=args.new,
        seed=args.seed,
    )
    res = sampling.generate(model, request)
    text = "\n".join(res.names) + (f"\n({res.note})" if res.note else "")
    _emit(args, {"names": list(res.names), "note": res.note}, text)


def cmd_evaluate(args: argparse.Namespace) -> None:
    model = checkpoint.load(args.checkpoint)
    try:
        lines = args.names.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{args.names}: cannot read it as UTF-8 text ({exc})") from exc
    names = [model.as_written(n.strip()) for n in lines if n.strip()]
    if not names:
        raise CorpusError(f"{args.names}: no names in the file")
    nll = scoring.mean_nll(model, names)
    _emit(args, {"nll": nll, "names": len(names)}, f"{nll:.4f} nats/token over {len(names)} names")


def cmd_score(args: argparse.Namespace) -> None:
    model = _model(args)
    s = scoring.score(model, args.name, args.label)
    text = (
        f"{s.name}: {s.loglik_per_token:.3f} nats/char, more name-like than "
        f"{s.percentile:.0f}% of the {model.corpus_name} names"
        + (" (it is one of them)" if s.in_corpus else "")
    )
    _emit(args, asdict(s), text)


def cmd_styles(args: argparse.Namespace) -> None:
    rows: list[dict[str, Any]] = [
        {
            "style": style,
            "description": m.description,
            "labels": list(m.labels),
            "names": len(m.corpus_names),
            "val_nll": m.metrics.get("val_nll"),
        }
        for style, m in load_models(args.models).items()
    ]
    text = "\n".join(
        f"{r['style']:<10} {r['description']}"
        + (f" [{'/'.join(r['labels'])}]" if r["labels"] else "")
        for r in rows
    )
    _emit(args, {"styles": rows}, text or f"no models in {args.models}")
