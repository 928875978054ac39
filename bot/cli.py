"""The `namesmith` command: the engine's commands, and the bot's (`run`, `chat`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

import storage
from bot import app, doctor
from engine import cli as engine_cli
from engine.errors import EngineError
from storage import copy as storage_copy


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
    for command, usage in (
        ("npc", "one character: a full name, race and gender (npc [race] [gender])"),
        ("party", "one full name per member (party elf dwarf halfling, or party 4)"),
        ("table", "a numbered d20 table of a style's names (table elf [options])"),
    ):
        p = sub.add_parser(command, help=usage)
        p.add_argument("words", nargs="*", help="as the chat's /" + command + " takes them")
        p.set_defaults(func=lambda args, c=command: app.ask(f"/{c} {' '.join(args.words)}"))
    p = sub.add_parser(
        "doctor",
        help="check this deployment: configuration, database, models, tokens, webhook",
    )
    p.set_defaults(func=lambda args: doctor.main())
    _register_db(sub)
    p = sub.add_parser(
        "discord-sync",
        help="push the slash commands to Discord (everywhere, or to one server at once)",
    )
    p.add_argument("--guild", type=int, metavar="ID", help="only this server (shows at once)")
    p.set_defaults(func=lambda args: app.discord_sync(args.guild))
    return parser


def _register_db(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    db = sub.add_parser("db", help="the database: migrate it, or copy SQLite into PostgreSQL")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    p = db_sub.add_parser("migrate", help="bring the database to the current schema")
    p.add_argument(
        "--database",
        help="an SQLite path or a postgresql://user:password@host:port/db URL "
        "(default: NAMESMITH_DATABASE)",
    )
    p.set_defaults(func=_db_migrate)
    p = db_sub.add_parser(
        "copy", help="copy an SQLite database into an empty PostgreSQL one, verified row for row"
    )
    p.add_argument("--from", dest="source", required=True, help="the SQLite file")
    p.add_argument("--to", dest="target", required=True, help="a postgresql:// URL")
    p.set_defaults(func=_db_copy)


def _db_migrate(args: argparse.Namespace) -> None:
    from bot.config import load

    target = args.database or load().database_target

    async def migrate() -> int:
        s = await storage.open(target)
        try:
            return await s.db.schema_version()
        finally:
            await s.close()

    version = asyncio.run(migrate())
    print(f"{storage.redact(target)}: schema version {version}")


def _db_copy(args: argparse.Namespace) -> None:
    report = asyncio.run(storage_copy.copy(args.source, args.target))
    print(f"copied {report.source} to {report.target} (schema {report.schema}); verified:")
    width = max(len(t) for t, _ in report.tables)
    for table, rows in report.tables:
        print(f"  {table:<{width}}  {rows:>9,} rows")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        code = args.func(args)
    except (EngineError, storage.StorageError) as exc:
        print(f"namesmith: error: {exc}", file=sys.stderr)
        return 2
    return code if isinstance(code, int) else 0  # `run`'s exit status: 1 after a fatal error


if __name__ == "__main__":
    raise SystemExit(main())
