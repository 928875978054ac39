"""What an operator watches: Prometheus metrics, and whether each platform is connected.

Pure: prometheus-client and the standard library, no SDK, engine or database. Each thing is
counted where it happens, through one of the methods below: the service's front door (commands,
latency, rate limits), each adapter's delivery code (sends retried and dropped) and its
connection (connected), the engine's registry (swaps) and queues (depth), the retrainer (state
and outcomes). The engine knows nothing of this module: the service, when it is built, hands
the engine these methods (`ModelRegistry.subscribe`, `Retrainer.subscribe`, `watch_queue`).

Every Metrics has a registry of its own, not prometheus-client's global default, so two of them
(two services in one test run) never share a count.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Enum,
    Gauge,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)

# A `<counter>_created` timestamp series beside every counter only doubles what is scraped.
disable_created_metrics()  # type: ignore[no-untyped-call]

OUTCOMES = ("ok", "user_error", "error", "rate_limited")
RETRAIN_OUTCOMES = ("adopted", "refused", "cancelled", "failed", "crashed")
# Seconds: a name takes milliseconds; a blend, `like=` or a database under strain, up to seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True, slots=True)
class Check:
    """One line of a readiness report or of `namesmith doctor`: what was checked, whether it
    passed, and in plain words what was found (or what to fix)."""

    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'✓' if self.ok else '✗'} {self.name}: {self.detail}"


class Metrics:
    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        ProcessCollector(registry=registry)  # CPU seconds, resident memory, open files
        self.commands = Counter(
            "namesmith_commands",
            "Commands and button presses answered, by command and outcome",
            ["command", "outcome"],
            registry=registry,
        )
        self.reply_seconds = Histogram(
            "namesmith_reply_seconds",
            "Seconds from a command reaching the service to its reply being ready",
            ["command"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.sends_retried = Counter(
            "namesmith_sends_retried",
            "Sends to a platform tried again after it did not take them",
            ["platform"],
            registry=registry,
        )
        self.sends_dropped = Counter(
            "namesmith_sends_dropped",
            "Replies given up on: refused by the platform, or not taken before the deadline",
            ["platform"],
            registry=registry,
        )
        self.rate_limited_users = Counter(
            "namesmith_rate_limited_users",
            "Users told to slow down (once per flood; what they send after it is ignored)",
            registry=registry,
        )
        self.queue_depth = Gauge(
            "namesmith_queue_depth",
            "Requests waiting in the engine's per-style queues for the next batch",
            registry=registry,
        )
        self.model_swaps = Counter(
            "namesmith_model_swaps",
            "Times a style's model was replaced (adopted, rolled back, changed by a replica)",
            ["style"],
            registry=registry,
        )
        self.retrain_state = Enum(
            "namesmith_retrain_state",
            "Whether this process is running a retrain",
            states=["idle", "training"],
            registry=registry,
        )
        self.retrains = Counter(
            "namesmith_retrains",
            "Retrains finished, by outcome",
            ["outcome"],
            registry=registry,
        )
        self.platform_connected = Gauge(
            "namesmith_platform_connected",
            "1 while the platform is connected (polling, webhook server, gateway), else 0",
            ["platform"],
            registry=registry,
        )
        self.ready = Gauge(
            "namesmith_ready",
            "1 when the readiness check passed at the last /readyz or scrape, else 0",
            ["check"],
            registry=registry,
        )
        for outcome in RETRAIN_OUTCOMES:
            self.retrains.labels(outcome)  # 0 from the start, so rates have a series
        self._connected: dict[str, bool] = {}

    # --- the service ------------------------------------------------------------------------

    def command(self, command: str, outcome: str, seconds: float) -> None:
        """One command answered (or refused by the rate limit) after `seconds`."""
        self.commands.labels(command, outcome).inc()
        if outcome != "rate_limited":  # refused at the door: no reply was made
            self.reply_seconds.labels(command).observe(seconds)

    def user_rate_limited(self) -> None:
        self.rate_limited_users.inc()

    def readiness(self, checks: list[Check]) -> None:
        """What the readiness checks found just now."""
        for check in checks:
            self.ready.labels(check.name).set(1 if check.ok else 0)

    # --- the adapters -----------------------------------------------------------------------

    def expect(self, platform: str) -> None:
        """This process serves `platform`: it is not ready until the platform is connected."""
        self._connected.setdefault(platform, False)
        self.platform_connected.labels(platform).set(0)
        self.sends_retried.labels(platform)
        self.sends_dropped.labels(platform)

    def connected(self, platform: str, up: bool = True) -> None:
        """The adapter's readiness hook: receiving (True) or not (False)."""
        self._connected[platform] = up
        self.platform_connected.labels(platform).set(1 if up else 0)

    def platforms(self) -> dict[str, bool]:
        """The platforms this process serves, and whether each is connected now."""
        return dict(sorted(self._connected.items()))

    def send_retried(self, platform: str) -> None:
        self.sends_retried.labels(platform).inc()

    def send_dropped(self, platform: str) -> None:
        self.sends_dropped.labels(platform).inc()

    # --- the engine (handed in by the composition root) -------------------------------------

    def watch_queue(self, waiting: Callable[[], int]) -> None:
        """Read the queue depth from `waiting()` whenever the metrics are scraped."""
        self.queue_depth.set_function(waiting)

    def model_swapped(self, style: str) -> None:
        self.model_swaps.labels(style).inc()

    def retrain_started(self, style: str) -> None:
        self.retrain_state.state("training")

    def retrain_finished(self, style: str, outcome: str) -> None:
        self.retrain_state.state("idle")
        self.retrains.labels(outcome).inc()

    # --- out --------------------------------------------------------------------------------

    def text(self) -> str:
        """Every metric in Prometheus's text format."""
        return generate_latest(self.registry).decode()
