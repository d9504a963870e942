"""Fifty hosts tap "seat" on one table at the same moment: exactly one party sits down."""

from __future__ import annotations

import asyncio

from tests.conflicts.conftest import CONCURRENCY, Crowd, all_events
from tests.conftest import Restaurant


async def test_fifty_concurrent_assigns_seat_exactly_one_guest(
    restaurant: Restaurant, crowd: Crowd
) -> None:
    table = await restaurant.table("7", capacity=4)
    waiting = await asyncio.gather(
        *(restaurant.guest(f"Party {i}", party_size=2) for i in range(CONCURRENCY))
    )
    assign = f"{restaurant.path}/tables/{table['id']}/assign"

    responses = await crowd.fire(
        "POST", [(assign, {"guest_id": g["id"]}) for g in waiting], restaurant.tokens["host"]
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * (CONCURRENCY - 1), statuses
    refused = [r.json()["error"]["code"] for r in responses if r.status_code == 409]
    assert set(refused) == {"table_not_available"}
    winner = next(r.json() for r in responses if r.status_code == 200)["guest"]["id"]

    snapshot = await restaurant.snapshot()
    seated = [g for g in snapshot["guests"] if g["status"] == "seated"]
    assert [(g["id"], g["table_id"]) for g in seated] == [(winner, table["id"])]
    [at_table] = [t for t in snapshot["tables"] if t["id"] == table["id"]]
    assert (at_table["status"], at_table["current_guest_id"]) == ("occupied", winner)
    assert sum(g["status"] == "waiting" for g in snapshot["guests"]) == CONCURRENCY - 1

    events = await all_events(restaurant)
    assigned = [e for e in events if e["type"] == "table_updated" and e["action"] == "assigned"]
    assert [(e["table_id"], e["data"]["current_guest_id"]) for e in assigned] == [
        (table["id"], winner)
    ]
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(1, len(events) + 1)), "the log has a gap or a duplicate"


async def test_a_seated_guest_cannot_be_seated_at_a_second_table(restaurant: Restaurant) -> None:
    first, second = await restaurant.table("1"), await restaurant.table("2")
    guest = await restaurant.guest("Moreau")
    host = restaurant.client("host")
    await host.ok(
        "POST", f"{restaurant.path}/tables/{first['id']}/assign", json={"guest_id": guest["id"]}
    )

    refused = await host.request(
        "POST", f"{restaurant.path}/tables/{second['id']}/assign", json={"guest_id": guest["id"]}
    )

    assert refused.status_code == 409, refused.text
    assert refused.json()["error"]["code"] == "guest_seated"
    table = await host.ok("GET", f"{restaurant.path}/tables/{second['id']}")
    assert table["status"] == "available"
    await host.close()
