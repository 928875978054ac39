"""A look at a deployment's database that changes nothing (`namesmith doctor`): it opens, its
schema is the one this code writes, and a write goes through.

The database is opened without migrating it (`namesmith run` would migrate; a doctor only
says so), and the write is the one every migration makes, the schema version rewritten with
itself, inside a transaction that is then rolled back.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from storage.db import connect, is_postgres, migrations, redact
from storage.errors import DatabaseUnavailable


@dataclass(frozen=True, slots=True)
class Checkup:
    where: str  # a path, or a URL with its password hidden
    version: int  # the database's schema version
    latest: int  # the version this code migrates to

    @property
    def current(self) -> bool:
        return self.version == self.latest


class _RollBack(Exception):
    """Ends the probe's transaction in a rollback, on purpose."""


async def checkup(target: str | Path) -> Checkup:
    """Open the database at `target` as it is, read its schema version and try a write that is
    rolled back. Raises a StorageError saying what is wrong (a file not created yet, a server
    that cannot be reached, a read-only file, a database newer than this code)."""
    if not is_postgres(target) and not await asyncio.to_thread(Path(target).is_file):
        raise DatabaseUnavailable(
            f"{target} does not exist yet; `namesmith db migrate` creates it "
            "(so does `namesmith run`, at start)"
        )
    db = await connect(target, pool_size=1, migrate=False)
    try:
        version = await db.schema_version()
        try:
            async with db.transaction() as tx:
                await db.write_version(tx, version)
                raise _RollBack
        except _RollBack:
            pass
    finally:
        await db.close()
    return Checkup(redact(target), version, len(migrations(db.dialect)))
