"""InOrder: one key's work one at a time, in order; other keys alongside."""

from __future__ import annotations

import asyncio

from bot.ordering import InOrder


async def test_one_keys_work_runs_in_order_and_others_run_alongside() -> None:
    order = InOrder()
    log: list[str] = []

    async def job(key: str, name: str, pause: float) -> None:
        async with order.turn(key):
            log.append(f"{name} start")
            await asyncio.sleep(pause)
            log.append(f"{name} end")

    await asyncio.gather(job("a", "a1", 0.05), job("a", "a2", 0.0), job("b", "b1", 0.0))
    assert log.index("a1 end") < log.index("a2 start")  # a2 waited for a1
    assert log.index("b1 end") < log.index("a1 end")  # b did not wait for a
    assert len(order) == 0  # no lock kept once nobody needs it
