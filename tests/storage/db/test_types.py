"""storage.db.types: what is safe to show of where the database is."""

from __future__ import annotations

import pytest

import storage


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:pw%40x@h:5/d", "postgresql://u:***@h:5/d"),
        ("postgresql://u@h/d", "postgresql://u@h/d"),
        ("postgresql://u:pw@h:notaport/d", "postgresql://(a URL that cannot be read)"),
        ("/var/lib/n.sqlite3", "/var/lib/n.sqlite3"),
    ],
)
def test_redact_hides_the_password(url: str, shown: str) -> None:
    assert storage.redact(url) == shown
