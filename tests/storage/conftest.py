from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import storage


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[storage.Storage]:
    """A real SQLite file, migrated from blank."""
    s = await storage.open(tmp_path / "db" / "namesmith.sqlite3")
    yield s
    await s.close()
