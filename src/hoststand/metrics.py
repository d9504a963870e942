"""Prometheus metrics of one app instance (its own registry, so tests can run several)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "Metrics"]

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


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
        self.messages_sent = Counter(
            "hoststand_messages_sent", "Messages queued to devices, by type.", ["type"], registry=r
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
