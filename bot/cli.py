"""The `namesmith` command: the engine's commands, and the bot's (`run`, `chat`)."""

from __future__ import annotations

import argparse
import logging
import sys

from bot import app
from engine import cli as engine_cli
from engine.errors import EngineError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="namesmith", description="Invent names with a character-level RNN."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    engine_cli.register(sub)
    p = sub.add_parser("run", help="start the bot: every platform with a token, else the console")
    p.set_defaults(func=lambda args: app.main())
    p = sub.add_parser("chat", help="the console chat, no token needed")
    p.set_defaults(func=lambda args: app.main(console=True))
    p = sub.add_parser(
        "discord-sync",
        help="push the slash commands to Discord (everywhere, or to one server at once)",
    )
    p.add_argument("--guild", type=int, metavar="ID", help="only this server (shows at once)")
    p.set_defaults(func=lambda args: app.discord_sync(args.guild))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        code = args.func(args)
    except EngineError as exc:
        print(f"namesmith: error: {exc}", file=sys.stderr)
        return 2
    return code if isinstance(code, int) else 0  # `run`'s exit status: 1 after a fatal error


if __name__ == "__main__":
    raise SystemExit(main())
