"""Per-user request limits: a leaky bucket each (aiolimiter), answered, never silent."""

from __future__ import annotations

from aiolimiter import AsyncLimiter


class RateLimiter:
    def __init__(self, limit: int, period: float) -> None:
        self.limit, self.period = limit, period
        self._buckets: dict[str, AsyncLimiter] = {}

    async def allow(self, key: str) -> bool:
        """Take one request from `key`'s bucket; False (and nothing taken) if it is empty."""
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) > 10_000:
                self._forget_idle()
            bucket = self._buckets[key] = AsyncLimiter(self.limit, self.period)
        if not bucket.has_capacity():
            return False
        await bucket.acquire()  # returns at once: there is capacity
        return True

    def _forget_idle(self) -> None:
        """Drop the buckets of users whose bucket has drained (they are as good as new)."""
        self._buckets = {k: b for k, b in self._buckets.items() if not b.has_capacity(self.limit)}
