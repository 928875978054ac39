"""The one mapping from driver exceptions to storage's errors, used by both engines.

The errors themselves live in `storage.errors` (repositories raise some of them too). SQLite says
what went wrong only in its message; PostgreSQL says it with an SQLSTATE code, which asyncpg's
exceptions carry as `sqlstate` (their classes follow the code's class, so a prefix such as "08"
matches a class and all its subclasses). Matching codes instead of asyncpg's classes keeps this
module, and with it the SQLite engine, free of asyncpg.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from storage.errors import (
    DatabaseDamaged,
    DatabaseNotWritable,
    DatabaseUnavailable,
    StorageError,
    StorageFull,
)

# What a PostgreSQL-side exception says when it never reached a server: a socket error, which
# includes TimeoutError.
SOCKET = "socket"

_FULL = (
    "the disk holding the database is full, so nothing can be saved right now; names still "
    "work, and saving works again once space is freed"
)


@dataclass(frozen=True, slots=True)
class _Rule:
    dialect: str
    says: tuple[str, ...]  # SQLite: words of the message; PostgreSQL: SQLSTATE prefixes, SOCKET
    error: type[StorageError]
    message: str  # formatted with where, exc, kind (the exception's class), reason
    opening: bool = True  # applies while connecting
    in_use: bool = True  # applies to statements and transactions


# First match wins. Messages say what to do; `where` is a path or a redacted URL.
_RULES = (
    _Rule("sqlite", ("database or disk is full",), StorageFull, _FULL),
    _Rule(
        "sqlite",
        ("file is not a database",),
        DatabaseDamaged,
        "{where} is not an SQLite database; point NAMESMITH_DATABASE at the Namesmith database, "
        "or move this file away to start with an empty one",
    ),
    _Rule(
        "sqlite",
        ("malformed", "corrupt"),
        DatabaseDamaged,
        "the database file {where} is damaged ({exc}); restore it from a backup, or salvage "
        "what is left with `sqlite3 {where} .recover`, then start again",
    ),
    _Rule(
        "sqlite",
        ("readonly", "read-only", "unable to open"),
        DatabaseNotWritable,
        "cannot write the database {where} ({exc}); the file and its folder must be writable by "
        "the user running Namesmith (check the permissions, the immutable flag shown by `lsattr`, "
        "and read-only mounts)",
    ),
    _Rule(
        "sqlite",
        ("disk i/o error",),  # the file, its journal or its folder turned immutable while in use
        DatabaseNotWritable,
        "cannot write the database {where} ({exc}); the file, its -wal and -shm files and its "
        "folder must be writable by the user running Namesmith (check the immutable flag shown "
        "by `lsattr`, and read-only mounts)",
        opening=False,
    ),
    _Rule("postgresql", ("53100",), StorageFull, _FULL, opening=False),  # disk_full
    _Rule(
        "postgresql",
        ("25006",),  # read_only_sql_transaction
        DatabaseNotWritable,
        "the PostgreSQL database at {where} accepts no writes ({exc}); connect to a primary "
        "server with a user that may write",
        opening=False,
    ),
    _Rule(
        "postgresql",
        ("08", "57", SOCKET),  # connection exception, operator intervention (shutdown, ...)
        DatabaseUnavailable,
        "the connection to the PostgreSQL database at {where} failed ({exc}); try again in a "
        "moment",
        opening=False,
    ),
    _Rule(
        "postgresql",
        ("28",),  # invalid_authorization_specification, invalid_password
        DatabaseUnavailable,
        "PostgreSQL at {where} refused the login ({exc}); check the user name and password in "
        "NAMESMITH_DATABASE",
        in_use=False,
    ),
    _Rule(
        "postgresql",
        ("3D",),  # invalid_catalog_name
        DatabaseUnavailable,
        "PostgreSQL at {where} has no such database ({exc}); create it first (createdb), or fix "
        "the database name in NAMESMITH_DATABASE",
        in_use=False,
    ),
    _Rule(
        "postgresql",
        (SOCKET,),
        DatabaseUnavailable,
        "cannot reach PostgreSQL at {where} ({reason}); check that the server is running and the "
        "host and port in NAMESMITH_DATABASE",
        in_use=False,
    ),
)

# While connecting, a driver error no rule names still means the database cannot be opened.
_CANNOT_OPEN = {
    "sqlite": "the database {where} failed: {exc}",
    "postgresql": "cannot open the PostgreSQL database at {where} ({kind}: {exc})",
}


def _matches(rule: _Rule, exc: BaseException) -> bool:
    if rule.dialect == "sqlite":
        text = str(exc).lower()
        return isinstance(exc, sqlite3.Error) and any(word in text for word in rule.says)
    code = SOCKET if isinstance(exc, OSError) else getattr(exc, "sqlstate", None)
    return isinstance(code, str) and code.startswith(rule.says)


def storage_error(exc: BaseException, dialect: str, where: str) -> StorageError | None:
    """What the driver's `exc` from a statement or transaction means, as a storage error; None
    if it is not one we can name (a bug, to be logged as such)."""
    return _named(exc, dialect, where, opening=False)


def opening_error(exc: BaseException, dialect: str, where: str) -> StorageError:
    """What the driver's `exc` while connecting means: one no rule names still says that the
    database cannot be opened, and how it failed."""
    return _named(exc, dialect, where, opening=True) or DatabaseUnavailable(
        _CANNOT_OPEN[dialect].format(**_fields(exc, where))
    )


def _named(exc: BaseException, dialect: str, where: str, *, opening: bool) -> StorageError | None:
    if dialect not in _CANNOT_OPEN:
        raise ValueError(f"unknown dialect {dialect!r}")
    for rule in _RULES:
        applies = rule.opening if opening else rule.in_use
        if applies and rule.dialect == dialect and _matches(rule, exc):
            return rule.error(rule.message.format(**_fields(exc, where)))
    return None


def _fields(exc: BaseException, where: str) -> dict[str, object]:
    kind = type(exc).__name__
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return {"where": where, "exc": exc, "kind": kind, "reason": reason or kind}


@contextmanager
def translated(dialect: str, where: str) -> Iterator[None]:
    """Raise what `storage_error` names in place of the driver's exception (chained to it)."""
    try:
        yield
    except Exception as exc:
        mapped = storage_error(exc, dialect, where)
        if mapped is None:
            raise
        raise mapped from exc
