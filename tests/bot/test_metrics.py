"""Each metric moves where its thing happens: the service's front door (rate limits), the
engine's queues and registry, the retrainer. (Commands and latency: tests/bot/test_monitor.py;
sends retried and dropped: the adapters' delivery tests.)"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from bot.metrics import Metrics
from bot.service import Service
from engine.serving.sampling import GenerationRequest
from engine.serving.trained import NameModel
from tests.bot.builders import ctx
from tests.bot.conftest import ADMIN


def value(metrics: Metrics, name: str, **labels: str) -> float:
    found = metrics.registry.get_sample_value(name, labels)
    return 0.0 if found is None else found


async def test_a_flooding_user_is_counted_once_and_each_refusal_as_rate_limited(
    service_factory: Callable[..., Awaitable[Service]],
) -> None:
    service = await service_factory(limit=1)
    for _ in range(3):
        await service.on_text(ctx(), "/start")
    metrics = service.metrics
    assert value(metrics, "namesmith_rate_limited_users_total") == 1  # told once
    assert value(metrics, "namesmith_commands_total", command="start", outcome="ok") == 1
    assert value(metrics, "namesmith_commands_total", command="start", outcome="rate_limited") == 2


async def test_a_model_swap_is_counted_by_style(service: Service, tiny_model: NameModel) -> None:
    service.engine.replace_style("elf", tiny_model)
    assert value(service.metrics, "namesmith_model_swaps_total", style="elf") == 1
    assert value(service.metrics, "namesmith_model_swaps_total", style="english") == 0


async def test_the_queue_depth_is_what_waits_for_a_batch(service: Service) -> None:
    asks = [
        asyncio.create_task(service.engine.generate(GenerationRequest("english", count=2)))
        for _ in range(3)
    ]
    await asyncio.sleep(0)  # each request has queued; the batch that takes them has not begun
    assert "namesmith_queue_depth 3.0" in service.metrics.text()
    await asyncio.gather(*asks)
    assert "namesmith_queue_depth 0.0" in service.metrics.text()


async def test_a_retrain_shows_while_it_trains_and_its_outcome_after(service: Service) -> None:
    def training() -> float:
        return value(service.metrics, "namesmith_retrain_state", namesmith_retrain_state="training")

    assert training() == 0
    await service.on_text(ctx(ADMIN), "/retrain gnome corpus=elf new")
    assert training() == 1
    assert service.retraining is not None
    job = service.retraining.retrainer.job
    assert job is not None
    result = await asyncio.wait_for(job.result(), 120)
    assert training() == 0
    assert value(service.metrics, "namesmith_retrains_total", outcome=result.outcome) == 1
