"""`namesmith train | sample | evaluate | score | styles`: the engine from a command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from tqdm import tqdm

from engine.blends import is_blend, parse_blend
from engine.corpora import corpus, places, sources
from engine.corpora.recipes import family_style
from engine.errors import CheckpointError, CorpusError, RequestError, UnknownStyle
from engine.limits import DEFAULT_STYLE, DEFAULT_TEMPERATURE, MAX_NAMES_PER_REQUEST
from engine.nn.model import ModelConfig
from engine.nn.train import TrainConfig, TrainProgress, split, train
from engine.serving import checkpoint, sampling, scoring, shared
from engine.serving.generator import NameEngine, blend_of, fitting_style
from engine.serving.registry import PACKAGED_MODELS, load_folder
from engine.serving.trained import NameModel


class _Help(argparse.HelpFormatter):
    """Appends "(default: X)" to every option that has a meaningful default."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (
            "default" in text
            or default in (None, False, "", argparse.SUPPRESS)
            or not action.option_strings
        ):
            return text
        return f"{text} (default: {default})"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    def parser(name: str, text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=text, description=text, formatter_class=_Help)

    p = parser(
        "train",
        "train a style's model on a corpus: by default as a new voice of the shipped model "
        "(its own style vector and head on the shared network, seconds for a short list)",
    )
    p.add_argument("--corpus", default="english", help=f"{', '.join(sources.BUILTIN)} or a file")
    p.add_argument("--out", required=True, type=Path, help="checkpoint file to write (required)")
    p.add_argument("--seconds", type=float, default=150.0, help="time budget in seconds")
    p.add_argument(
        "--max-steps", type=int, help="step budget; makes the run repeatable (default: none)"
    )
    p.add_argument("--seed", type=int, default=1337, help="random seed")
    p.add_argument("--cell", choices=["gru", "lstm", "rnn"], default="lstm", help="recurrent cell")
    p.add_argument("--hidden", type=int, default=320, help="units of the recurrent cell")
    p.add_argument("--layers", type=int, default=1, help="recurrent layers")
    p.add_argument("--embd", type=int, default=64, help="character embedding size")
    p.add_argument("--dropout", type=float, default=0.4, help="dropout on the cell's in/outputs")
    p.add_argument("--weight-drop", type=float, default=0.25, help="DropConnect on the recurrence")
    p.add_argument("--batch-size", type=int, default=32, help="names per step")
    p.add_argument("--lr", type=float, default=5e-3, help="peak learning rate")
    p.add_argument("--ema", type=float, default=0.999, help="weight averaging; 0 turns it off")
    p.add_argument("--val-fraction", type=float, default=0.05, help="share held out to validate")
    p.add_argument("--eval-every", type=int, default=250, help="steps between validations")
    p.add_argument(
        "--patience", type=int, default=8, help="validations without a new best before stopping"
    )
    p.add_argument("--threads", type=int, help="torch threads (default: every core)")
    p.add_argument(
        "--description", default="", help="one line shown by /styles (default: the corpus's)"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--from-scratch",
        action="store_true",
        help="train a network of the style's own instead (the network options above apply "
        "only then; a list with letters the shipped model never saw always is)",
    )
    p.set_defaults(func=cmd_train)

    p = parser("sample", "invent names (one per line on stdout; notes go to stderr)")
    _style_args(p)
    p.add_argument("--prefix", default="", help="names start with this (default: none)")
    p.add_argument(
        "--temperature",
        "-t",
        type=float,
        default=DEFAULT_TEMPERATURE,
        help="0.1 (safe, often real names) to 3 (wild)",
    )
    p.add_argument(
        "-n", "--count", type=int, default=10, help=f"how many names, 1 to {MAX_NAMES_PER_REQUEST}"
    )
    p.add_argument(
        "--gender",
        "--label",
        dest="label",
        help="a label of the style, e.g. female or f, or neutral (default: any)",
    )
    p.add_argument(
        "--like",
        action="append",
        default=[],
        help="invent names like this one (repeat for several); without --style, in the style "
        "the names fit best (default: none)",
    )
    p.add_argument("--min-len", type=int, help="shortest name in letters (default: 1)")
    p.add_argument(
        "--max-len", type=int, help="longest name in letters (default: the style's longest + 4)"
    )
    p.add_argument("--ends", default="", help="names end with this, any case (default: any)")
    p.add_argument("--contains", default="", help="names contain this, any case (default: any)")
    p.add_argument(
        "--new", action="store_true", help="only names not in the training list (default: off)"
    )
    p.add_argument(
        "--no-filter",
        dest="filter",
        action="store_false",
        help="do not withhold obscenities and slurs (default: withheld)",
    )
    p.add_argument(
        "--full",
        action="store_true",
        help="given name + family name, for styles with family names (default: off)",
    )
    p.add_argument("--seed", type=int, help="same seed, same names (default: random)")
    p.add_argument("--json", action="store_true", help="print JSON (default: plain lines)")
    p.set_defaults(func=cmd_sample)

    p = parser("evaluate", "mean NLL (nats per predicted token) on a names file")
    p.add_argument("--checkpoint", required=True, type=Path, help="the model (required)")
    p.add_argument(
        "--names",
        required=True,
        type=Path,
        help="one name per line, cleaned as `train` cleans (blank, too long, control "
        "characters dropped; a label after a tab ignored); repeated lines all count (required)",
    )
    p.add_argument("--style", help="for a shared model's file: which of its styles (default: none)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_evaluate)

    p = parser("score", "how name-like a name is, against the style's real names")
    p.add_argument("name")
    _style_args(p)
    p.add_argument("--gender", "--label", dest="label", help="score as this label (default: any)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_score)

    p = parser("styles", "list the styles")
    p.add_argument("--models", type=Path, default=PACKAGED_MODELS, help="folder of <style>.pt")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_styles)


class _StyleAction(argparse.Action):
    """--style, remembering that it was given (a shared checkpoint file needs it)."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option: Any = None) -> None:
        namespace.style = values
        namespace.style_given = True


def _style_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--style",
        "-s",
        default=DEFAULT_STYLE,
        action=_StyleAction,
        help="a style (see `namesmith styles`), or a blend: elf+dwarf, elf:70+dwarf:30, half-elf",
    )
    p.set_defaults(style_given=False)
    p.add_argument(
        "--checkpoint",
        type=Path,
        help="a checkpoint file instead of a style; for a shared model's file, --style says "
        "which of its styles (default: none)",
    )
    p.add_argument("--models", type=Path, default=PACKAGED_MODELS, help="folder of <style>.pt")


def _served(args: argparse.Namespace) -> dict[str, NameModel]:
    """Every style as `namesmith run` serves it: the shipped ones, then the models folder's."""
    models = load_folder(PACKAGED_MODELS, strict=False)
    if args.models.resolve() != PACKAGED_MODELS.resolve():
        models.update(load_folder(args.models))
    return models


def _model(args: argparse.Namespace) -> NameModel:
    """The model of --checkpoint (with --style for a shared file), else of --style: a style
    or a blend of styles ("elf:70+dwarf:30", "half-elf")."""
    if args.checkpoint:
        return load_checkpoint(args.checkpoint, args.style if args.style_given else None)
    models = _served(args)
    if args.style not in models and is_blend(args.style):
        return blend_of(parse_blend(args.style), models)
    if args.style not in models:
        raise UnknownStyle(args.style, list(models))
    return models[args.style]


def load_checkpoint(path: Path, style: str | None) -> NameModel:
    """A style's model from a file of either layout: one style's checkpoint, or a shared
    model's file, which holds many (then `style` says which)."""
    if not path.is_file():
        raise CheckpointError(f"{path.name}: no such checkpoint file")
    try:
        model = shared.load(path)
    except CheckpointError:
        return checkpoint.load(path)  # one style's file (or a clear error about it)
    if style is None or style not in model.entries:
        raise RequestError(
            f"{path.name} is a shared model of {len(model.entries)} styles: say which with "
            f"--style ({', '.join(sorted(model.entries))})"
        )
    return model.model(style)


def _family(args: argparse.Namespace) -> NameModel | None:
    """The model of the style's family names, as `namesmith run` serves it."""
    family_of = family_style(args.style)
    if family_of is None:
        return None  # sampling says the style has no full names
    return _served(args).get(family_of)


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
        val_fraction=args.val_fraction,
        eval_every=args.eval_every,
        patience=args.patience,
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
    # Steps on the bar (tqdm shows steps/s), the smoothed loss beside it, redrawn twice a second.
    budget = f"{args.seconds:g}s" if not args.max_steps else f"{args.max_steps} steps"
    with tqdm(
        total=args.max_steps, disable=args.quiet, unit="step", mininterval=0.5, desc="training"
    ) as bar:

        def show(p: TrainProgress) -> None:
            bar.update(p.step - bar.n)
            val = f"{p.best_val:.3f}" if p.best_val < float("inf") else "-"
            bar.set_postfix_str(
                f"loss {p.train_loss:.3f}, best val {val}, {p.elapsed:.0f}s of {budget}",
                refresh=False,
            )

        description = args.description or (
            sources.BUILTIN[args.corpus][0] if args.corpus in sources.BUILTIN else data.name
        )
        base = None if args.from_scratch else _base_for(data)
        if base is not None:
            tr_idx, va_idx = split(data, config.val_fraction, config.seed)

            def relay(
                step: int, elapsed: float, frac: float, val: float | None, loss: float
            ) -> None:
                show(TrainProgress(step, elapsed, frac, loss, val, val or float("inf")))

            model, fit = base.fit_new(
                data, tr_idx, va_idx, seconds=args.seconds, max_steps=args.max_steps,
                like=args.corpus if args.corpus in base.entries else None, seed=args.seed,
                on_progress=relay,
            )  # fmt: skip
            val, train_nll, steps, stopped, seconds = (
                fit.val_nll, fit.train_nll, fit.steps, fit.stopped, fit.seconds,
            )  # fmt: skip
        else:
            result = train(data, config, model_config, show)
            val, train_nll, steps, stopped, seconds = (
                result.val_nll, result.train_nll, result.steps, result.stopped, result.seconds,
            )  # fmt: skip
    metrics = {
        "val_nll": val,
        "train_nll": train_nll,
        "steps": steps,
        "seconds": round(seconds, 1),
        "stopped": stopped,
        "from": "scratch" if base is None else "shared",
    }
    if base is not None:
        model = replace(model, metrics=metrics, description=description)
    else:
        model = checkpoint.build(result.model, result.vocab, data, metrics, description)
    checkpoint.save(model, args.out)
    how = "from scratch" if base is None else "as a voice of the shipped model"
    print(
        f"wrote {args.out} ({how}): validation NLL {val:.4f} nats/token "
        f"(train {train_nll:.4f}), best at step {steps}, stopped by {stopped}"
    )


def _base_for(data: corpus.Corpus) -> shared.SharedModel | None:
    """The shipped shared model, if it can learn this list (else from scratch, and why)."""
    try:
        base = shared.load(PACKAGED_MODELS / shared.SHARED_FILE)
        base.check_learnable(data)
    except (CheckpointError, RequestError) as exc:
        print(f"training from scratch: {exc}", file=sys.stderr)
        return None
    return base


def cmd_sample(args: argparse.Namespace) -> None:
    for name in args.like:
        if not name.strip() or len(name) > corpus.MAX_NAME_LEN:
            raise RequestError(f"--like takes a name of 1 to {corpus.MAX_NAME_LEN} letters")
    if args.like and not args.style_given and not args.checkpoint:
        args.style = fitting_style(_served(args), args.like)
        print(f"(style: {args.style}, the one {', '.join(args.like)} fits best)", file=sys.stderr)
    if args.style in places.KINDS and not args.checkpoint:
        _emit_result(args, _place_names(args))
        return
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
        filter=args.filter,
        full=args.full,
        like=tuple(args.like),
    )
    family = _family(args) if args.full else None
    (res,) = sampling.generate_many(model, [request], seed=args.seed, family=family)
    _emit_result(args, res)


def _place_names(args: argparse.Namespace) -> sampling.GenerationResult:
    """Tavern, inn, ship or shop names, as the bot makes them (engine.corpora.places)."""
    request = sampling.GenerationRequest(
        style=args.style, temperature=args.temperature, count=args.count, seed=args.seed,
        prefix=args.prefix, label=args.label, ends_with=args.ends, contains=args.contains,
        min_len=args.min_len, max_len=args.max_len, full=args.full, like=tuple(args.like),
        filter=args.filter,
    )  # fmt: skip

    async def run() -> sampling.GenerationResult:
        engine = NameEngine(_served(args), workers=1)
        try:
            return await engine.generate(request)
        finally:
            await engine.aclose()

    return asyncio.run(run())


def _emit_result(args: argparse.Namespace, res: sampling.GenerationResult) -> None:
    data = {"names": list(res.names), "note": res.note, "filtered": res.filtered}
    _emit(args, data, "\n".join(res.names))
    if res.note and not args.json:
        # Only names on stdout, so `namesmith sample > names.txt` holds names alone.
        print(f"({res.note})", file=sys.stderr)


def cmd_evaluate(args: argparse.Namespace) -> None:
    model = load_checkpoint(args.checkpoint, args.style)
    try:
        lines = args.names.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{args.names}: cannot read it as UTF-8 text ({exc})") from exc
    # Cleaned as training cleans a corpus, except that a repeated line counts each time.
    pairs = [(line.partition("\t")[0], "") for line in lines]
    data = corpus.clean(args.names.name, pairs, min_names=1, keep_duplicates=True)
    names = [model.as_written(n) for n in data.names]
    nll = scoring.mean_nll(model, names)
    if len(names) < len(lines):
        print(f"evaluated {data.report.summary()}", file=sys.stderr)
    _emit(args, {"nll": nll, "names": len(names)}, f"{nll:.4f} nats/token over {len(names)} names")


def cmd_score(args: argparse.Namespace) -> None:
    model = _model(args)
    s = scoring.score(model, args.name, args.label)
    real = f"real {model.corpus_name} names"
    if s.note:
        text = f"{s.name}: more name-like than 0% of the {real}: {s.note}"
    else:
        text = f"{s.name}: more name-like than {s.percentile:.0f}% of the {real}" + (
            " (it is one of them)" if s.in_corpus else ""
        )
        middle = scoring.median(model)
        if middle is not None:
            text += (
                f"\n  {s.loglik_per_token:.2f} nats per character "
                f"(the median {model.corpus_name} name: {middle:.2f}; higher is more name-like)"
            )
    data = asdict(s)
    if not math.isfinite(s.loglik_per_token):
        data["loglik_per_token"] = None  # JSON has no -Infinity
    _emit(args, data, text)


def _source(style: str, model: NameModel) -> str | None:
    """The package and licence a shipped style's names come from (None for a user's list)."""
    package = sources.shipped_source(style, model.description)
    return None if package is None else f"{package} ({sources.LICENCES[package]})"


def cmd_styles(args: argparse.Namespace) -> None:
    rows: list[dict[str, Any]] = [
        {
            "style": style,
            "description": m.description,
            "labels": list(m.labels),
            "names": len(m.corpus_names),
            "val_nll": m.metrics.get("val_nll"),
            "source": _source(style, m),
        }
        for style, m in _served(args).items()
    ]
    width = max((len(r["style"]) for r in rows), default=0)
    text = "\n".join(
        f"{r['style']:<{width}}  {r['description']}"
        + (f" [{'/'.join(r['labels'])}]" if r["labels"] else "")
        + (f" — {r['source']}" if r["source"] else "")
        for r in rows
    )
    _emit(args, {"styles": rows}, text or f"no models in {args.models}")
