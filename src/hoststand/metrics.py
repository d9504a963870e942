"""Prometheus metrics of one app instance (its own registry, so tests can run several)."""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.metrics_core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

__all__ = ["CONTENT_TYPE_LATEST", "Metrics"]

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Tally(Collector):
    """A counter by one label, kept as plain integers and read when scraped.

    For what is counted per message: prometheus_client's `Counter` takes a lock and a few calls
    per increment (about 1 us, as much as handing a message to a device), and the hub counts
    every message it hands out, thousands a second, all on the event loop's thread. The scrape
    sees the same samples a `Counter` gives (`_total` and `_created` per label value).
    """

    def __init__(
        self, name: str, documentation: str, label: str, *, registry: CollectorRegistry
    ) -> None:
        self._name = name
        self._documentation = documentation
        self._label = label
        self._counts: dict[str, int] = {}
        self._created: dict[str, float] = {}
        registry.register(self)

    def add(self, value: str, amount: int = 1) -> None:
        """Count `amount` more for the label `value`."""
        counts = self._counts
        if value in counts:
            counts[value] += amount
        else:
            counts[value] = amount
            self._created[value] = time.time()

    def collect(self) -> Iterator[Metric]:
        """The counter's samples, as the registry asks for them on each scrape."""
        family = self._family()
        for value, count in list(self._counts.items()):
            family.add_metric([value], float(count), created=self._created[value])
        yield family

    def describe(self) -> Iterator[Metric]:
        """Its name, for the registry's check that no two collectors share one."""
        yield self._family()

    def _family(self) -> CounterMetricFamily:
        return CounterMetricFamily(self._name, self._documentation, labels=[self._label])


class Metrics:
    """Everything hoststand counts. Never labelled by token, restaurant or anything secret."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.connections_open = Gauge(
            "hoststand_connections_open", "Open, handshaken /realtime connections.", registry=r
        )
        self.rooms_open = Gauge(
            "hoststand_rooms_open", "Restaurants with at least one device here.", registry=r
        )
        self.handshakes = Counter(
            "hoststand_handshakes", "Handshakes by outcome.", ["outcome"], registry=r
        )
        self.events_published = Counter(
            "hoststand_events_published",
            "Events committed and published, by type.",
            ["type"],
            registry=r,
        )
        self.messages_sent = Tally(
            "hoststand_messages_sent", "Messages queued to devices, by type.", "type", registry=r
        )
        self.overflow_closes = Counter(
            "hoststand_overflow_closes", "Connections closed with 4409 (too slow).", registry=r
        )
        self.gap_fills = Counter(
            "hoststand_gap_fills",
            "Times a hub filled a seq gap from the event log.",
            ["reason"],
            registry=r,
        )
        self.replays = Counter(
            "hoststand_replays",
            "Resumes that replayed missed events, by where they came from (memory, log).",
            ["source"],
            registry=r,
        )
        self.commit_to_send = Histogram(
            "hoststand_commit_to_send_seconds",
            "From a change's commit to its event being queued to the devices of this instance.",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.auth_failures = Counter(
            "hoststand_auth_failures", "Refused authentications, by reason.", ["reason"], registry=r
        )
        self.broker_up = Gauge("hoststand_broker_up", "1 when the broker is reachable.", registry=r)
        self._published: dict[str, Counter] = {}

    def count_published(self, event_type: str) -> None:
        """Count one event published; its type's counter is looked up once, not per write."""
        child = self._published.get(event_type)
        if child is None:
            child = self._published[event_type] = self.events_published.labels(event_type)
        child.inc()

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)
