"""Fifty hosts tap "seat" or "move" on one table at the same moment: exactly one party sits down."""

from __future__ import annotations

import asyncio

from tests.api.test_reseating import clean, released_from
from tests.api.test_seating import Floor
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


async def test_moves_and_assigns_racing_for_one_table_seat_exactly_one_party(
    restaurant: Restaurant, crowd: Crowd
) -> None:
    """Half the hosts move a seated party to the patio table, half seat a waiting one there."""
    target = await restaurant.table("Patio", capacity=4)
    movers = CONCURRENCY // 2
    tables = await asyncio.gather(*(restaurant.table(f"Inside {i}") for i in range(movers)))
    parties = await asyncio.gather(*(restaurant.guest(f"Party {i}") for i in range(CONCURRENCY)))
    seated, waiting = parties[:movers], parties[movers:]
    host = restaurant.client("host")
    tables_path = f"{restaurant.path}/tables"
    await asyncio.gather(
        *(
            host.ok("POST", f"{tables_path}/{t['id']}/assign", json={"guest_id": g["id"]})
            for t, g in zip(tables, seated, strict=True)
        )
    )
    before = len(await all_events(restaurant))
    moves = [(f"{tables_path}/{t['id']}/move", {"to_table_id": target["id"]}) for t in tables]
    assigns = [(f"{tables_path}/{target['id']}/assign", {"guest_id": g["id"]}) for g in waiting]
    # Interleaved, so that moves and assigns reach both servers alike.
    requests = [r for pair in zip(moves, assigns, strict=True) for r in pair]

    responses = await crowd.fire("POST", requests, restaurant.tokens["host"])

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * (CONCURRENCY - 1), statuses
    refused = {r.json()["error"]["code"] for r in responses if r.status_code == 409}
    assert refused == {"table_not_available"}
    won = next(r.json() for r in responses if r.status_code == 200)
    winner = won["guest"]["id"]

    snapshot = await restaurant.snapshot()
    at = {g["id"]: (g["status"], g["table_id"]) for g in snapshot["guests"]}
    floor = {t["id"]: (t["status"], t["current_guest_id"]) for t in snapshot["tables"]}
    assert floor[target["id"]] == ("occupied", winner)
    assert at[winner] == ("seated", target["id"])
    for table, party in zip(tables, seated, strict=True):
        if party["id"] != winner:
            assert floor[table["id"]] == ("occupied", party["id"])
            assert at[party["id"]] == ("seated", table["id"])
        else:
            assert floor[table["id"]] == ("dirty", None)
    assert sum(status == "waiting" for status, _ in at.values()) == len(waiting) - (
        winner in {g["id"] for g in waiting}
    )

    events = (await all_events(restaurant))[before:]
    assigned = [e for e in events if e["type"] == "table_updated" and e["action"] == "assigned"]
    assert [(e["table_id"], e["data"]["current_guest_id"]) for e in assigned] == [
        (target["id"], winner)
    ]
    assert len(events) == (3 if "from_table" in won else 2)
    await host.close()


async def test_two_moves_racing_for_one_table_move_exactly_one_party(
    restaurant: Restaurant,
) -> None:
    target = await restaurant.table("Window")
    host = restaurant.client("host")
    tables_path = f"{restaurant.path}/tables"
    tables = [await restaurant.table("Left"), await restaurant.table("Right")]
    for table in tables:
        guest = await restaurant.guest(f"At {table['label']}")
        await host.ok("POST", f"{tables_path}/{table['id']}/assign", json={"guest_id": guest["id"]})
    other = restaurant.client("host")

    responses = await asyncio.gather(
        *(
            client.request(
                "POST", f"{tables_path}/{t['id']}/move", json={"to_table_id": target["id"]}
            )
            for client, t in zip((host, other), tables, strict=True)
        )
    )

    assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
    lost = next(r for r in responses if r.status_code == 409).json()["error"]
    won = next(r for r in responses if r.status_code == 200).json()
    assert lost["code"] == "table_not_available"
    assert lost["details"]["current_guest_id"] == won["guest"]["id"]
    snapshot = await restaurant.snapshot()
    statuses = sorted(t["status"] for t in snapshot["tables"])
    assert statuses == ["dirty", "occupied", "occupied"]
    assert sorted(g["table_id"] for g in snapshot["guests"]) == sorted(
        [target["id"], *(t["id"] for t in tables if t["id"] != won["from_table"]["id"])]
    )
    await host.close()
    await other.close()


async def test_a_reseat_and_an_assign_racing_for_the_table_seat_exactly_one_party(
    restaurant: Restaurant, crowd: Crowd
) -> None:
    floor = Floor(restaurant)
    for round_ in range(5):
        table, guest, _ = await released_from(floor, f"Raced {round_}")
        table = await clean(floor, table)
        other = await restaurant.guest(f"Other {round_}")
        path = floor.table_path(table)
        requests = [
            (f"{path}/reseat", {"guest_id": guest["id"]}),
            (f"{path}/assign", {"guest_id": other["id"]}),
        ][:: 1 if round_ % 2 else -1]

        responses = await crowd.fire("POST", requests, restaurant.tokens["host"])

        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200, 409], [r.text for r in responses]
        [loser] = [r for r in responses if r.status_code == 409]
        assert loser.json()["error"]["code"] == "table_not_available"
        winner = next(r.json() for r in responses if r.status_code == 200)["guest"]["id"]
        now_table, _ = await floor.state(table, guest)
        assert (now_table["status"], now_table["current_guest_id"]) == ("occupied", winner)
        seated = await asyncio.gather(
            *(floor.api.ok("GET", floor.guest_path(g)) for g in (guest, other))
        )
        assert [g["status"] for g in seated] == [
            "seated" if g["id"] == winner else ("completed" if g is guest else "waiting")
            for g in (guest, other)
        ]
