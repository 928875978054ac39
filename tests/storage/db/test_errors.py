"""storage.db.errors: the one mapping from driver exceptions to storage's errors, as tables."""

from __future__ import annotations

import sqlite3

import asyncpg.exceptions as pg
import pytest

from storage.db.errors import opening_error, storage_error, translated
from storage.errors import (
    DatabaseDamaged,
    DatabaseNotWritable,
    DatabaseUnavailable,
    StorageError,
    StorageFull,
)

WHERE = "HERE"  # a path or a redacted URL

# (dialect, driver exception, storage error or None (not ours to name), words of the message)
IN_USE = [
    ("sqlite", sqlite3.OperationalError("database or disk is full"), StorageFull, "is full"),
    ("sqlite", sqlite3.DatabaseError("file is not a database"), DatabaseDamaged, "not an SQLite"),
    ("sqlite", sqlite3.DatabaseError("database disk image is malformed"), DatabaseDamaged,
     ".recover"),
    ("sqlite", sqlite3.OperationalError("attempt to write a readonly database"),
     DatabaseNotWritable, "must be writable"),
    ("sqlite", sqlite3.OperationalError("unable to open database file"), DatabaseNotWritable,
     "must be writable"),
    ("sqlite", sqlite3.OperationalError("disk I/O error"), DatabaseNotWritable, "immutable flag"),
    ("sqlite", sqlite3.IntegrityError("UNIQUE constraint failed: favourites.id"), None, ""),
    ("sqlite", sqlite3.OperationalError("no such table: nope"), None, ""),
    ("sqlite", OSError("not a driver error here"), None, ""),
    ("postgresql", pg.DiskFullError("could not extend file"), StorageFull, "is full"),
    ("postgresql", pg.ReadOnlySQLTransactionError("read-only transaction"), DatabaseNotWritable,
     "accepts no writes"),
    ("postgresql", pg.ConnectionDoesNotExistError("connection was closed"), DatabaseUnavailable,
     "try again"),
    ("postgresql", pg.AdminShutdownError("terminating connection"), DatabaseUnavailable,
     "try again"),
    ("postgresql", pg.QueryCanceledError("canceling statement"), DatabaseUnavailable,
     "try again"),
    ("postgresql", ConnectionResetError(104, "Connection reset by peer"), DatabaseUnavailable,
     "try again"),
    ("postgresql", TimeoutError(), DatabaseUnavailable, "try again"),
    ("postgresql", pg.UniqueViolationError("duplicate key"), None, ""),
    ("postgresql", pg.InvalidPasswordError("password authentication failed"), None, ""),
    ("postgresql", sqlite3.OperationalError("database or disk is full"), None, ""),
    ("postgresql", ValueError("a bug"), None, ""),
]  # fmt: skip

OPENING = [
    ("sqlite", sqlite3.DatabaseError("file is not a database"), DatabaseDamaged, "not an SQLite"),
    ("sqlite", sqlite3.OperationalError("disk I/O error"), DatabaseUnavailable,
     f"the database {WHERE} failed: disk I/O error"),
    ("postgresql", pg.InvalidPasswordError("password authentication failed"), DatabaseUnavailable,
     "refused the login"),
    ("postgresql", pg.InvalidAuthorizationSpecificationError("no such role"),
     DatabaseUnavailable, "refused the login"),
    ("postgresql", pg.InvalidCatalogNameError('database "x" does not exist'),
     DatabaseUnavailable, "no such database"),
    ("postgresql", ConnectionRefusedError(111, "Connection refused"), DatabaseUnavailable,
     "cannot reach PostgreSQL at HERE (Connection refused)"),
    ("postgresql", TimeoutError(), DatabaseUnavailable,
     "cannot reach PostgreSQL at HERE (TimeoutError)"),
    ("postgresql", pg.CannotConnectNowError("starting up"), DatabaseUnavailable,
     "cannot open the PostgreSQL database at HERE (CannotConnectNowError: starting up)"),
    ("postgresql", ValueError("invalid sslmode"), DatabaseUnavailable,
     "(ValueError: invalid sslmode)"),
]  # fmt: skip


def _id(case: tuple[str, BaseException, object, str]) -> str:
    return f"{case[0]}-{type(case[1]).__name__}-{str(case[1])[:20]}"


@pytest.mark.parametrize(("dialect", "exc", "error", "says"), IN_USE, ids=map(_id, IN_USE))
def test_a_driver_error_in_use_maps_to_one_storage_error(
    dialect: str, exc: BaseException, error: type[StorageError] | None, says: str
) -> None:
    mapped = storage_error(exc, dialect, WHERE)
    if error is None:
        assert mapped is None
    else:
        assert type(mapped) is error
        assert says in str(mapped)


@pytest.mark.parametrize(("dialect", "exc", "error", "says"), OPENING, ids=map(_id, OPENING))
def test_a_driver_error_while_opening_says_the_database_cannot_be_opened(
    dialect: str, exc: BaseException, error: type[StorageError], says: str
) -> None:
    mapped = opening_error(exc, dialect, WHERE)
    assert type(mapped) is error
    assert says in str(mapped)


def test_an_unknown_dialect_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown dialect"):
        storage_error(sqlite3.OperationalError("x"), "mysql", WHERE)


def test_translated_raises_the_storage_error_chained_to_the_driver_error() -> None:
    full = sqlite3.OperationalError("database or disk is full")
    with pytest.raises(StorageFull) as info, translated("sqlite", WHERE):
        raise full
    assert info.value.__cause__ is full


def test_translated_lets_an_error_it_cannot_name_through_unchanged() -> None:
    bug = sqlite3.OperationalError("no such column: nmae")
    with pytest.raises(sqlite3.OperationalError) as info, translated("sqlite", WHERE):
        raise bug
    assert info.value is bug
