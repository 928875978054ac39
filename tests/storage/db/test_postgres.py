"""storage.db.postgres: start-up failures reported without the password, and placeholders."""

from __future__ import annotations

import pytest

import storage
from storage.db.postgres import numbered
from tests.storage.pgserver import PASSWORD, PgServer


def _chain(exc: BaseException | None) -> str:
    text = ""
    while exc is not None:
        text += f"{type(exc).__name__}: {exc}\n"
        exc = exc.__cause__ or exc.__context__
    return text


async def test_unreachable_postgres_is_reported_without_the_password() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens once it is closed
    url = f"postgresql://someone:{PASSWORD}@127.0.0.1:{port}/db"
    with pytest.raises(storage.DatabaseUnavailable, match="cannot reach PostgreSQL") as info:
        await storage.open(url)
    assert PASSWORD not in _chain(info.value)
    assert f"postgresql://someone:***@127.0.0.1:{port}/db" in str(info.value)


async def test_a_wrong_postgres_password_is_reported_without_either_password(
    pg_server: PgServer,
) -> None:
    wrong = "not-the-password-123"
    with pytest.raises(storage.DatabaseUnavailable, match="refused the login") as info:
        await storage.open(pg_server.url("postgres", password=wrong))
    assert wrong not in _chain(info.value) and PASSWORD not in _chain(info.value)


async def test_a_missing_postgres_database_is_reported(pg_server: PgServer) -> None:
    with pytest.raises(storage.DatabaseUnavailable, match="no such database") as info:
        await storage.open(pg_server.url("nope"))
    assert PASSWORD not in _chain(info.value)


async def test_a_bad_url_is_refused_without_echoing_it() -> None:
    with pytest.raises(storage.DatabaseUnavailable, match="cannot be read") as info:
        await storage.open("postgresql://u:secretpw@h:notaport/d")
    assert "secretpw" not in _chain(info.value)


def test_placeholders_are_numbered_outside_quotes() -> None:
    sql = "SELECT ? , '?', 'it''s ?' WHERE a = ? AND b = ?"
    assert numbered(sql) == "SELECT $1 , '?', 'it''s ?' WHERE a = $2 AND b = $3"
