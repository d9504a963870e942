"""GET .snapshot and .events: how a device syncs without the socket; retention of the log."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from hoststand.realtime.client import SyncState
from tests.conftest import Restaurant
from tests.realtime.conftest import (
    Connect,
    prune_events,
    prune_one_before_its_predecessors,
)
from tests.servers import ThreadServer
from tests.waiting import eventually


async def _events(restaurant: Restaurant, after: int, limit: int = 500) -> dict[str, Any]:
    page: dict[str, Any] = await restaurant.client("viewer").ok(
        "GET", f"{restaurant.path}/events", params={"after": after, "limit": limit}
    )
    return page


async def _busy(restaurant: Restaurant) -> None:
    """A few changes of every kind."""
    table = await restaurant.table()
    guest = await restaurant.guest("Kowalski")
    host = restaurant.client("host")
    await host.ok(
        "POST", f"{restaurant.path}/tables/{table['id']}/assign", json={"guest_id": guest["id"]}
    )
    await host.ok("POST", f"{restaurant.path}/tables/{table['id']}/release")
    gone = await restaurant.guest("Mistake")
    await host.ok("DELETE", f"{restaurant.path}/guests/{gone['id']}", 204)
    await restaurant.client("owner").ok("PATCH", restaurant.path, json={"name": "Renamed"})


async def test_the_events_endpoint_returns_the_same_events_as_the_socket(
    restaurant: Restaurant, connect: Connect
) -> None:
    device = await connect(restaurant)
    start = device.hello["seq"]
    await _busy(restaurant)
    current = (await restaurant.snapshot())["seq"]
    on_the_socket = await device.events_until(current)
    paged: list[dict[str, Any]] = []
    after = start
    while after < current:
        page = await _events(restaurant, after, limit=3)
        assert page["seq"] == current
        assert len(page["events"]) <= 3
        paged += page["events"]
        after = page["next_after"]
    assert paged == on_the_socket
    last = await _events(restaurant, current)
    assert (last["events"], last["next_after"], last["seq"]) == ([], current, current)


async def test_events_below_the_retention_floor_answer_410_resync_required(
    server: ThreadServer, restaurant: Restaurant
) -> None:
    await restaurant.guest("Soon forgotten")
    floor = (await restaurant.snapshot())["seq"]
    prune_events(server, restaurant.id)
    kept = await restaurant.guest("Kept")
    response = await restaurant.api.request(
        "GET", f"{restaurant.path}/events", params={"after": floor - 1}
    )
    assert response.status_code == 410
    error = response.json()["error"]
    assert error["code"] == "resync_required"
    assert error["details"] == {"seq": floor + 1, "oldest_available_after": floor}
    page = await _events(restaurant, floor)
    assert [e["guest_id"] for e in page["events"]] == [kept["id"]]


async def test_events_across_a_hole_the_prune_left_answer_410_not_a_gap(
    server: ThreadServer, restaurant: Restaurant
) -> None:
    start = (await restaurant.snapshot())["seq"]
    for i in range(3):
        await restaurant.guest(f"Guest {i}")
    prune_one_before_its_predecessors(server, restaurant.id, start + 2)
    response = await restaurant.api.request(
        "GET", f"{restaurant.path}/events", params={"after": start}
    )
    assert response.status_code == 410, response.text
    error = response.json()["error"]
    assert error["code"] == "resync_required"
    assert error["details"] == {"seq": start + 3, "oldest_available_after": start + 2}
    page = await _events(restaurant, start + 2)
    assert [e["seq"] for e in page["events"]] == [start + 3]


async def test_events_after_a_seq_the_restaurant_never_had_answer_410(
    restaurant: Restaurant,
) -> None:
    current = (await restaurant.snapshot())["seq"]
    response = await restaurant.api.request(
        "GET", f"{restaurant.path}/events", params={"after": current + 1}
    )
    assert response.status_code == 410
    error = response.json()["error"]
    assert error["code"] == "resync_required"
    assert error["details"]["seq"] == current
    # Nothing was pruned: the message says what is wrong with `after` instead.
    assert "no longer kept" not in error["message"], error
    assert f"the last is {current}" in error["message"], error


async def test_events_parameters_are_validated(restaurant: Restaurant) -> None:
    for params in ({"after": -1}, {"limit": 0}, {"limit": 1001}, {"after": "x"}):
        response = await restaurant.api.request("GET", f"{restaurant.path}/events", params=params)
        assert response.status_code == 422, params
        assert response.json()["error"]["code"] == "validation_error"


async def test_snapshot_then_events_rebuilds_every_later_snapshot(restaurant: Restaurant) -> None:
    """Snapshots taken while writers work are each exactly the state as of their seq."""
    base = await restaurant.snapshot()
    writers = [asyncio.create_task(_busy(restaurant)) for _ in range(3)]
    snapshots = []
    while not all(w.done() for w in writers):
        snapshots.append(await restaurant.snapshot())
    await asyncio.gather(*writers)
    snapshots.append(await restaurant.snapshot())
    log = (await _events(restaurant, base["seq"]))["events"]
    assert len({s["seq"] for s in snapshots}) > 2  # some were taken mid-way
    for snapshot in snapshots:
        state = SyncState.from_snapshot(base)
        for event in log:
            if event["seq"] <= snapshot["seq"]:
                state.apply(event)
        assert state == SyncState.from_snapshot(snapshot), snapshot["seq"]


async def test_retention_prunes_old_events_in_the_background(
    start_server: Callable[..., ThreadServer], restaurant: Restaurant, connect: Connect
) -> None:
    await restaurant.guest("Ephemeral")
    current = (await restaurant.snapshot())["seq"]
    # Keep events for half a second, and prune five times a second.
    srv = start_server(event_retention_days=0.5 / 86400, prune_interval_seconds=0.2)

    async def pruned() -> bool:
        response = await restaurant.api.request(
            "GET", f"{restaurant.path}/events", params={"after": 0}
        )
        return response.status_code == 410

    await eventually(pruned, "the background task to prune the restaurant's events", timeout=10)
    device = await connect(restaurant, base_url=srv.base_url, last_seq=0)
    assert (await device.recv())["type"] == "resync_required"
    # Pruning never lets a seq be used twice.
    await restaurant.guest("Afterwards")
    assert (await restaurant.snapshot())["seq"] == current + 1
