"""Every storage test that takes `store` runs twice: on a real SQLite file and on a real
PostgreSQL server started for the session from the machine's binaries (see pgserver.py).

Without PostgreSQL binaries those runs are skipped, and the summary says so loudly; with
NAMESMITH_REQUIRE_POSTGRES=1 (as .ci/run sets) they fail instead (`pg_server`, in
tests/conftest.py: the replica tests share the server).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

import storage
from tests.storage.pgserver import PgServer


async def _admin(server: PgServer) -> asyncpg.Connection:
    return await asyncpg.connect(
        host=server.host,
        port=server.port,
        user=server.user,
        password=server.password,
        database="postgres",
    )


@pytest.fixture
async def pg_url(pg_server: PgServer) -> AsyncIterator[str]:
    """A new, empty database on the session's server."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = await _admin(pg_server)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield pg_server.url(name)
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    """Where a blank database is: an SQLite path, or a PostgreSQL URL."""
    if request.param == "sqlite":
        return tmp_path / "db" / "namesmith.sqlite3"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture(scope="session")
def pg_shared_url(pg_server: PgServer) -> str:
    """One migrated database for the `store` tests, emptied before each (TRUNCATE is much
    faster than a CREATE DATABASE and a migration per test)."""

    async def create() -> None:
        admin = await _admin(pg_server)
        try:
            await admin.execute('CREATE DATABASE "shared"')
        finally:
            await admin.close()
        s = await storage.open(pg_server.url("shared"))
        await s.close()

    asyncio.run(create())
    return pg_server.url("shared")


@pytest.fixture(params=["sqlite", "postgresql"])
def store_target(request: pytest.FixtureRequest, tmp_path: Path) -> str | Path:
    if request.param == "sqlite":
        return tmp_path / "db" / "namesmith.sqlite3"
    url: str = request.getfixturevalue("pg_shared_url")
    return url


@pytest.fixture
async def store(store_target: str | Path) -> AsyncIterator[storage.Storage]:
    """A real database, migrated from blank (SQLite) or migrated and emptied (PostgreSQL)."""
    s = await storage.open(store_target)
    if s.db.dialect == "postgresql":
        async with s.db.transaction() as tx:
            rows = await tx.fetchall(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'schema_version'"
            )
            await tx.execute(f"TRUNCATE {', '.join(r[0] for r in rows)} RESTART IDENTITY")
    yield s
    await s.close()
