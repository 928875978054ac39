"""Rate-limit buckets in the database, shared by every process that uses it.

Each bucket is GCRA (the generic cell rate algorithm, a leaky bucket kept as one number): `limit`
requests per `period` seconds, up to `limit` at once, with its theoretical arrival time `tat`.
A request takes one from every bucket that applies, or from none if any is full (a member
refused by their own share spends nothing of their group's budget); the first refusal since a
user's last allowed request says "warn", the later ones "ignore", so a flood split across
replicas is told to slow down once.

One transaction: the first statement creates or locks the rows (in key order, so two requests
never wait for each other in a cycle) and reads them, the second writes the outcome. Callers
pass the time (`now`, seconds since the epoch): replicas need synchronised clocks (NTP), and
tests need no sleeping.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from storage import values
from storage.db import Database

Outcome = Literal["allow", "warn", "ignore"]
# Float slack: `limit` requests at one instant must all fit, whatever the rounding of period/limit.
_SLACK = 1e-6


class RateLimits:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def take(self, buckets: Sequence[tuple[str, int, float]], *, now: float) -> Outcome:
        """Take one request from every bucket `(key, limit, period)`, or none if any is full.

        The first bucket is the user's: it remembers whether they were told already."""
        if not buckets:
            raise ValueError("take() needs at least one bucket")
        checked = [(values.key(k, "bucket"), int(n), float(p)) for k, n, p in buckets]
        if any(n < 1 or p <= 0 for _, n, p in checked):
            raise ValueError("a bucket needs a limit of at least 1 and a positive period")
        user = checked[0][0]
        keys = sorted({k for k, _, _ in checked})
        async with self._db.transaction() as tx:
            rows = await tx.fetchall(
                "INSERT INTO rate_limits (key, tat, warned) VALUES "
                + ", ".join(["(?, ?, ?)"] * len(keys))
                + " ON CONFLICT (key) DO UPDATE SET tat = rate_limits.tat "
                "RETURNING key, tat, warned",
                [v for k in keys for v in (k, now, False)],
            )
            state = {str(r[0]): (float(r[1]), bool(r[2])) for r in rows}
            if all(max(state[k][0], now) - now <= p - p / n + _SLACK for k, n, p in checked):
                await tx.executemany(
                    "UPDATE rate_limits SET tat = ?, warned = ? WHERE key = ?",
                    [(max(state[k][0], now) + p / n, False, k) for k, n, p in checked],
                )
                return "allow"
            if state[user][1]:
                return "ignore"
            await tx.execute("UPDATE rate_limits SET warned = ? WHERE key = ?", (True, user))
            return "warn"

    async def prune(self, now: float) -> int:
        """Forget buckets that have drained (as good as new); returns how many."""
        async with self._db.transaction() as tx:
            return await tx.execute("DELETE FROM rate_limits WHERE tat < ?", (now,))
