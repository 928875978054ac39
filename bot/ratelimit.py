"""Per-user request limits: a leaky bucket each, in memory (aiolimiter), or in a store shared
by several processes (`SharedRateLimiter`, the database's `rate_limits` table).

A user over the limit is told once per window and then ignored until their bucket has room
again: answering every extra message would let a flooder spend the platform's send budget (and
a group's) on "slow down" replies. In a group, each member also has a smaller share of the
group's own budget, so one member's flood cannot starve the rest of the group.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from enum import Enum
from typing import Protocol

from aiolimiter import AsyncLimiter

log = logging.getLogger(__name__)


class Verdict(Enum):
    ALLOW = "allow"
    WARN = "warn"  # over the limit: say so, once
    IGNORE = "ignore"  # over the limit and already told


class Limiter(Protocol):
    """What the service asks of a rate limiter."""

    limit: int
    period: float

    async def check(self, user: str, chat: str | None = None) -> Verdict: ...


class _Buckets:
    def __init__(self, limit: int, period: float) -> None:
        self.limit, self.period = limit, period
        self._buckets: dict[str, AsyncLimiter] = {}

    def get(self, key: str) -> AsyncLimiter:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) > 10_000:
                # Drop the buckets that have drained: they are as good as new.
                self._buckets = {
                    k: b for k, b in self._buckets.items() if not b.has_capacity(self.limit)
                }
            bucket = self._buckets[key] = AsyncLimiter(self.limit, self.period)
        return bucket


class RateLimiter:
    def __init__(
        self, limit: int, period: float, *, group_limit: int = 18, group_period: float = 60.0
    ) -> None:
        """`limit` requests per `period` per user; in a group chat, `group_limit` replies per
        `group_period` for the whole group (Telegram allows a group 20 messages a minute), of
        which one member may use at most half."""
        self.limit, self.period = limit, period
        self._users = _Buckets(limit, period)
        self._groups = _Buckets(group_limit, group_period)
        self._members = _Buckets(max(1, group_limit // 2), group_period)
        self._warned: set[str] = set()

    async def check(self, user: str, chat: str | None = None) -> Verdict:
        """Take one request from every bucket that applies, or none if any is empty. `chat` is
        a group whose send budget its members share (None where there is no such budget)."""
        buckets = [self._users.get(user)]
        if chat is not None:
            buckets += [self._groups.get(chat), self._members.get(f"{chat}/{user}")]
        if all(b.has_capacity() for b in buckets):
            for b in buckets:
                await b.acquire()  # returns at once: there is capacity
            self._warned.discard(user)
            return Verdict.ALLOW
        if user in self._warned:
            return Verdict.IGNORE
        if len(self._warned) > 10_000:
            self._warned.clear()
        self._warned.add(user)
        return Verdict.WARN

    async def allow(self, user: str, chat: str | None = None) -> bool:
        return await self.check(user, chat) is Verdict.ALLOW


class BucketStore(Protocol):
    """Shared buckets (storage's `RateLimits`): takes `(key, limit, period)` triples, the first
    the user's; answers "allow", "warn" or "ignore"."""

    async def take(self, buckets: Sequence[tuple[str, int, float]], *, now: float) -> str: ...


class SharedRateLimiter:
    """The same limits as `RateLimiter`, kept in a store every replica shares: a user's flood
    split across processes is limited (and told) once."""

    def __init__(
        self,
        store: BucketStore,
        limit: int,
        period: float,
        *,
        group_limit: int = 18,
        group_period: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limit, self.period = limit, period
        self._store = store
        self._group = (group_limit, group_period)
        self._member = (max(1, group_limit // 2), group_period)
        self._clock = clock

    async def check(self, user: str, chat: str | None = None) -> Verdict:
        """Take one request from every bucket that applies, or none if any is empty. If the
        store cannot be reached the request is allowed (and logged): a rate limit is no reason
        to stop answering."""
        buckets = [(f"user:{user}", self.limit, self.period)]
        if chat is not None:
            buckets += [(f"group:{chat}", *self._group), (f"member:{chat}/{user}", *self._member)]
        try:
            return Verdict(await self._store.take(buckets, now=self._clock()))
        except Exception as exc:
            log.warning("rate limit store failed (%s); allowing the request", exc)
            return Verdict.ALLOW

    async def allow(self, user: str, chat: str | None = None) -> bool:
        return await self.check(user, chat) is Verdict.ALLOW
