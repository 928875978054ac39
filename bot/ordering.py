"""One sender's requests, one at a time and in order; different senders concurrently.

Chat SDKs hand each update to its own task, so two commands of one user sent back to back can
overtake each other (`/fav X` then `/unfav X` leaving X saved). Adapters run each request in its
sender's turn.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager


class InOrder:
    """A lock per key, dropped as soon as nobody holds or awaits it (asyncio locks are FIFO, so
    requests of one key run in the order they asked)."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, list[int]]] = {}

    @asynccontextmanager
    async def turn(self, key: Hashable) -> AsyncIterator[None]:
        lock, users = self._locks.setdefault(key, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                yield
        finally:
            users[0] -= 1
            if not users[0]:
                del self._locks[key]

    def __len__(self) -> int:
        return len(self._locks)
