from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

import storage
from storage.db import migrations, statements

PAYLOAD = '{"names": ["Eldrin"]}'


async def test_round_trip_keeps_owner_chat_and_payload(store: storage.Storage) -> None:
    token = await store.replies.add("tg:1", PAYLOAD, chat="tg:-100")
    got = await store.replies.get(token)
    assert got is not None
    assert (got.token, got.owner, got.chat, got.payload) == (token, "tg:1", "tg:-100", PAYLOAD)
    private = await store.replies.get(await store.replies.add("tg:1", PAYLOAD))
    assert private is not None and private.chat is None


async def test_tokens_are_unguessable_and_fit_callback_data(store: storage.Storage) -> None:
    tokens = {await store.replies.add("tg:1", PAYLOAD) for _ in range(50)}
    assert len(tokens) == 50
    for token in tokens:
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,22}", token)
        assert len(f"fav:{token}:19".encode()) <= 64
    # nothing sequential to walk: no token is another's neighbour
    assert not any(t.isdigit() for t in tokens)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "1",
        "99999999999999999999",
        "9" * 5000,
        "²" * 22,
        "A" * 21 + "$",
        "A" * 23,
        "A" * 10_000,
        "'; DROP TABLE replies; --",
        "a\x00" * 11,
    ],
)
async def test_a_malformed_token_finds_nothing(store: storage.Storage, bad: str) -> None:
    await store.replies.add("tg:1", PAYLOAD)
    assert await store.replies.get(bad) is None


async def test_an_unknown_token_finds_nothing(store: storage.Storage) -> None:
    token = await store.replies.add("tg:1", PAYLOAD)
    other = ("B" if token[0] == "A" else "A") + token[1:]
    assert await store.replies.get(other) is None


async def test_prune_forgets_only_old_replies(store: storage.Storage) -> None:
    async with store.db.transaction() as tx:
        await tx.execute(
            "INSERT INTO replies (token, owner, chat, payload, created_at) VALUES (?, ?, ?, ?, ?)",
            ("o" * 22, "tg:1", None, PAYLOAD, "2020-01-01T00:00:00.000+00:00"),
        )
    fresh = await store.replies.add("tg:1", PAYLOAD)
    assert await store.replies.prune(keep_days=30) == 1
    assert await store.replies.get("o" * 22) is None
    assert await store.replies.get(fresh) is not None
    assert await store.replies.prune(keep_days=-1) == 1  # everything is "older" than tomorrow
    assert await store.replies.get(fresh) is None


async def test_prune_uses_the_index_on_created_at(store: storage.Storage) -> None:
    cutoff = "2026-01-01"
    if store.db.dialect == "sqlite":
        rows = await store.db.fetchall(
            "EXPLAIN QUERY PLAN DELETE FROM replies WHERE created_at < ?", (cutoff,)
        )
        plan = " ".join(str(r[3]) for r in rows)
    else:
        async with store.db.transaction() as tx:
            await tx.execute("SET LOCAL enable_seqscan = off")  # a tiny table: ask for the index
            rows = await tx.fetchall(
                "EXPLAIN DELETE FROM replies WHERE created_at < CAST(? AS TEXT)", (cutoff,)
            )
        plan = " ".join(str(r[0]) for r in rows)
    assert "replies_by_age" in plan


async def test_old_sequential_replies_are_dropped_by_the_migration(tmp_path: Path) -> None:
    """A schema-2 file: old button rows cannot match a token, so they go; the rest stays."""
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:
        for m in migrations("sqlite")[:2]:
            for stmt in statements(m.sql):
                conn.execute(stmt)
        conn.execute("INSERT INTO replies (user_key, payload, created_at) VALUES ('u', 'x', 'y')")
        conn.execute("PRAGMA user_version = 2")
    s = await storage.open(path)
    try:
        assert await s.replies.get("1") is None
        row = await s.db.fetchone("SELECT count(*) FROM replies")
        assert row is not None and row[0] == 0
        assert await s.replies.get(await s.replies.add("tg:1", PAYLOAD)) is not None
    finally:
        await s.close()
