from __future__ import annotations

import storage


async def test_audit_records_trainings_newest_first(store: storage.Storage) -> None:
    await store.audit.record(
        "tg:1", "train", style="elf", corpus="elf", fingerprint="ab12", val_nll=1.9, adopted=True
    )
    await store.audit.record("tg:1", "train", style="elf", corpus="upload.txt", adopted=False)
    await store.audit.record("dc:2", "reset_chat", detail="server 7")
    trainings = await store.audit.recent(action="train")
    assert [(e.corpus, e.adopted) for e in trainings] == [("upload.txt", False), ("elf", True)]
    assert trainings[1].val_nll == 1.9 and trainings[1].fingerprint == "ab12"
    assert [e.action for e in await store.audit.recent(limit=1)] == ["reset_chat"]


async def test_stats_count_names_users_and_favourites(store: storage.Storage) -> None:
    await store.stats.served("tg:1", 5)
    await store.stats.served("dc:1", 10)
    await store.stats.served("tg:1", 5)
    await store.favourites.add("tg:1", "Ana", style="english")
    snap = await store.stats.snapshot()
    assert snap == storage.Snapshot(names_served=20, users=2, favourites=1)


async def test_empty_stats(store: storage.Storage) -> None:
    assert await store.stats.snapshot() == storage.Snapshot(0, 0, 0)


async def test_audit_ids_grow(store: storage.Storage) -> None:
    first = await store.audit.record("tg:1", "train")
    second = await store.audit.record("tg:1", "train", adopted=False)
    assert second > first
    assert [e.adopted for e in await store.audit.recent()] == [False, None]
