"""The hot-path counter (`Tally`) exposes exactly what prometheus_client's Counter would."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as generate_openmetrics

from hoststand.metrics import Metrics, Tally

CREATED = re.compile(rb"(_created\{[^}]*\}) \S+")


def _same_but_created(a: bytes, b: bytes) -> bool:
    return CREATED.sub(rb"\1 T", a) == CREATED.sub(rb"\1 T", b)


@pytest.mark.parametrize("render", [generate_latest, generate_openmetrics])
def test_a_tally_is_scraped_as_a_counter_is(render: Callable[[CollectorRegistry], bytes]) -> None:
    counter_registry, tally_registry = CollectorRegistry(), CollectorRegistry()
    counter = Counter("hs_sent", "Sent, by type.", ["type"], registry=counter_registry)
    tally = Tally("hs_sent", "Sent, by type.", "type", registry=tally_registry)
    assert _same_but_created(render(counter_registry), render(tally_registry))
    for kind, amount in [("pong", 1), ("guest_updated", 5), ("pong", 2), ('a"b\\c', 1)]:
        counter.labels(kind).inc(amount)
        tally.add(kind, amount)
    counted, tallied = render(counter_registry), render(tally_registry)
    assert b'hs_sent_total{type="pong"} 3.0' in tallied
    assert _same_but_created(counted, tallied), tallied.decode()
    # Read as any collector is, through its registry.
    assert tally_registry.get_sample_value("hs_sent_total", {"type": "pong"}) == 3
    assert tally_registry.get_sample_value("hs_sent_total", {"type": "never"}) is None


def test_a_second_collector_of_the_same_name_is_refused() -> None:
    metrics = Metrics()
    with pytest.raises(ValueError, match="Duplicated timeseries"):
        Counter("hoststand_messages_sent", "again", registry=metrics.registry)
