"""Move: a seated party changes tables in one transaction, and stays seated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.api.checks import assert_wire_timestamps, expect_error, failing_fields
from tests.api.test_seating import UNKNOWN, Floor
from tests.conflicts.conftest import all_events
from tests.conflicts.test_reservation_overlap import stamp
from tests.conflicts.test_reservations import book
from tests.conftest import Api, Restaurant
from tests.waiting import eventually


async def seated_at(
    floor: Floor, label: str, capacity: int = 4, **guest: Any
) -> tuple[dict[str, Any], ...]:
    """A new table with a new party seated at it: the table and the guest as assign left them."""
    table = await floor.restaurant.table(label, capacity=capacity)
    party = await floor.restaurant.guest(f"Party at {label}", **guest)
    seated = (await floor.assign(table, party)).json()
    return seated["table"], seated["guest"]


async def test_a_seated_party_moves_to_another_table_and_stays_seated(
    restaurant: Restaurant,
) -> None:
    floor = Floor(restaurant)
    table, guest = await seated_at(floor, "Inside")
    patio = await restaurant.table("Patio", capacity=6)
    # Timestamps are whole seconds: a move in the seating's second could not show seated_at kept.
    await eventually(lambda: stamp(datetime.now(UTC)) > guest["seated_at"], "the next second")

    response = await floor.move(table, patio)

    assert response.status_code == 200, response.text
    moved = response.json()
    assert set(moved) == {"from_table", "table", "guest"}
    left, now_at = moved["from_table"], moved["table"]
    assert (left["id"], left["status"], left["current_guest_id"]) == (table["id"], "dirty", None)
    assert left["version"] == table["version"] + 1
    assert (now_at["id"], now_at["status"]) == (patio["id"], "occupied")
    assert now_at["current_guest_id"] == guest["id"]
    assert now_at["version"] == patio["version"] + 1
    assert moved["guest"]["status"] == "seated"
    assert moved["guest"]["table_id"] == patio["id"]
    assert moved["guest"]["seated_at"] == guest["seated_at"]  # turn times go on
    assert moved["guest"]["updated_at"] > guest["seated_at"]
    assert moved["guest"]["version"] == guest["version"] + 1
    assert response.headers["etag"] == f'"{now_at["version"]}"'
    assert_wire_timestamps(moved, at_least=8)
    assert await floor.state(table, guest) == (left, moved["guest"])
    assert (await floor.api.ok("GET", floor.table_path(patio))) == now_at


async def test_a_move_tells_the_devices_released_assigned_updated_in_that_order(
    restaurant: Restaurant,
) -> None:
    floor = Floor(restaurant)
    table, guest = await seated_at(floor, "From")
    to = await restaurant.table("To")
    before = len(await all_events(restaurant))

    moved = (await floor.move(table, to)).json()

    events = (await all_events(restaurant))[before:]
    assert [(e["type"], e["action"]) for e in events] == [
        ("table_updated", "released"),
        ("table_updated", "assigned"),
        ("guest_updated", "updated"),
    ]
    assert [e["data"] for e in events] == [moved["from_table"], moved["table"], moved["guest"]]
    assert [e.get("table_id") for e in events[:2]] == [table["id"], to["id"]]
    assert events[2]["guest_id"] == guest["id"]
    assert len({e["timestamp"] for e in events}) == 1  # one commit


async def test_a_party_moves_again_and_again(restaurant: Restaurant) -> None:
    floor = Floor(restaurant)
    first, guest = await seated_at(floor, "One")
    second, third = await restaurant.table("Two"), await restaurant.table("Three")
    assert (await floor.move(first, second)).status_code == 200
    moved = (await floor.move(second, third)).json()
    assert moved["guest"]["table_id"] == third["id"]
    assert moved["guest"]["seated_at"] == guest["seated_at"]
    released = await floor.api.ok("POST", f"{floor.table_path(third)}/release")
    assert released["guest"]["status"] == "completed"
    snapshot = await restaurant.snapshot()
    assert sorted(t["status"] for t in snapshot["tables"]) == ["dirty"] * 3


async def test_moving_from_a_table_that_is_not_occupied_is_refused(
    restaurant: Restaurant,
) -> None:
    floor = Floor(restaurant)
    to = await restaurant.table("Free")
    for status in ("available", "dirty", "reserved", "out_of_service"):
        table = await restaurant.table(f"Idle {status}", status=status)
        error = expect_error(await floor.move(table, to), 409, "table_not_occupied")
        assert error["details"]["status"] == status
        assert "not occupied" in error["message"]
    assert (await floor.api.ok("GET", floor.table_path(to))) == to


async def test_moving_to_a_table_that_is_not_free_is_refused(restaurant: Restaurant) -> None:
    floor = Floor(restaurant)
    table, guest = await seated_at(floor, "Here")
    taken, _ = await seated_at(floor, "Taken")
    targets = [taken] + [
        await restaurant.table(f"Not {status}", status=status)
        for status in ("dirty", "out_of_service", "reserved")
    ]
    for target in targets:
        error = expect_error(await floor.move(table, target), 409, "table_not_available")
        assert error["details"]["id"] == target["id"]
        assert target["label"] in error["message"]
        assert (await floor.api.ok("GET", floor.table_path(target))) == target
    assert await floor.state(table, guest) == (table, guest)


async def test_a_reservation_seated_elsewhere_moves_to_the_table_it_held_once_that_is_free(
    restaurant: Restaurant,
) -> None:
    floor = Floor(restaurant)
    table = await restaurant.table("Walk-up")
    held = await restaurant.table("Held", status="reserved")
    reservation = await book(restaurant, datetime.now(UTC) + timedelta(minutes=10), held)
    await floor.assign(table, reservation)  # seated elsewhere: the hold is released

    error = expect_error(await floor.move(table, held), 409, "table_not_available")
    assert error["details"]["status"] == "reserved"
    await floor.api.ok("PATCH", floor.table_path(held), json={"status": "available"})
    moved = await floor.api.ok(
        "POST", f"{floor.table_path(table)}/move", json={"to_table_id": held["id"]}
    )

    assert moved["table"]["status"] == "occupied"
    assert moved["guest"]["table_id"] == held["id"]
    assert moved["guest"]["held_table_id"] is None


async def test_moving_a_party_to_its_own_table_is_refused(restaurant: Restaurant) -> None:
    floor = Floor(restaurant)
    table, guest = await seated_at(floor, "Same")
    error = expect_error(await floor.move(table, table), 422, "validation_error")
    assert error["details"] == [
        {"field": "to_table_id", "message": "must be another table than the party's"}
    ]
    assert "already at table Same" in error["message"]
    assert await floor.state(table, guest) == (table, guest)


async def test_a_party_larger_than_the_new_table_needs_override_capacity(
    restaurant: Restaurant,
) -> None:
    floor = Floor(restaurant)
    table, guest = await seated_at(floor, "Six-top", capacity=6, party_size=5)
    small = await restaurant.table("Two-top", capacity=2)
    error = expect_error(await floor.move(table, small), 409, "party_too_large")
    assert error["details"] == {"party_size": 5, "capacity": 2}
    assert "move anyway with override_capacity" in error["message"]
    assert await floor.state(table, guest) == (table, guest)
    moved = await floor.move(table, small, override_capacity=True)
    assert moved.status_code == 200, moved.text
    assert moved.json()["guest"]["table_id"] == small["id"]


async def test_a_table_reserved_soon_needs_override(restaurant: Restaurant) -> None:
    floor = Floor(restaurant)
    table, guest = await seated_at(floor, "Bar")
    booth = await restaurant.table("Booth")
    reservation = await book(restaurant, datetime.now(UTC) + timedelta(minutes=20), booth)
    error = expect_error(await floor.move(table, booth), 409, "table_reserved_soon")
    assert error["details"]["reservation"]["id"] == reservation["id"]
    assert "move anyway with override" in error["message"]
    assert await floor.state(table, guest) == (table, guest)
    moved = await floor.move(table, booth, override=True)
    assert moved.status_code == 200, moved.text


async def test_unknown_and_foreign_tables_are_not_found_for_move(
    api: Api, restaurant: Restaurant
) -> None:
    floor = Floor(restaurant)
    table, guest = await seated_at(floor, "Mine")
    free = await restaurant.table("Also mine")
    other = await api.restaurant("Elsewhere")
    foreign, foreign_guest = await seated_at(Floor(other), "Theirs")
    for unknown in ({"id": UNKNOWN}, foreign):
        for response in (await floor.move(table, unknown), await floor.move(unknown, free)):
            error = expect_error(response, 404, "not_found")
            assert error["details"] == {"kind": "table", "id": unknown["id"]}
    assert await floor.state(table, guest) == (table, guest)
    theirs = other.client("host")
    assert (await theirs.ok("GET", f"{other.path}/tables/{foreign['id']}")) == foreign
    assert (await theirs.ok("GET", f"{other.path}/guests/{foreign_guest['id']}")) == foreign_guest


async def test_a_viewer_may_not_move_a_party(restaurant: Restaurant) -> None:
    floor = Floor(restaurant)
    table, guest = await seated_at(floor, "Watched")
    to = await restaurant.table("Wanted")
    viewer = restaurant.client("viewer")
    response = await viewer.request(
        "POST", f"{floor.table_path(table)}/move", json={"to_table_id": to["id"]}
    )
    error = expect_error(response, 403, "forbidden")
    assert error["details"]["permission"] == "seat"
    assert await floor.state(table, guest) == (table, guest)


async def test_if_match_names_the_version_of_the_table_the_party_leaves(
    restaurant: Restaurant,
) -> None:
    floor = Floor(restaurant)
    table, guest = await seated_at(floor, "Versioned")
    to = await restaurant.table("Next")
    stale = await floor.move(table, to, headers={"If-Match": f'"{table["version"] - 1}"'})
    error = expect_error(stale, 412, "version_conflict")
    assert error["details"] == table
    target = await floor.move(table, to, headers={"If-Match": f'"{to["version"]}"'})
    assert to["version"] != table["version"]
    expect_error(target, 412, "version_conflict")
    assert await floor.state(table, guest) == (table, guest)
    moved = await floor.move(table, to, headers={"If-Match": f'"{table["version"]}"'})
    assert moved.status_code == 200, moved.text


async def test_a_retried_move_replays_the_first_answer(restaurant: Restaurant) -> None:
    floor = Floor(restaurant)
    table, _ = await seated_at(floor, "Retry")
    to = await restaurant.table("Retried")
    keyed = {"Idempotency-Key": "move-1"}

    first = await floor.move(table, to, headers=keyed)
    retry = await floor.move(table, to, headers=keyed)
    unkeyed = await floor.move(table, to)

    assert first.status_code == 200, first.text
    assert (retry.status_code, retry.json()) == (200, first.json())
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.headers["etag"] == first.headers["etag"] == f'"{first.json()["table"]["version"]}"'
    expect_error(unkeyed, 409, "table_not_occupied")
    moves = [e for e in await all_events(restaurant) if e["action"] == "released"]
    assert len(moves) == 1
    other = await restaurant.table("Other")
    reused = await floor.move(table, other, headers=keyed)
    expect_error(reused, 422, "idempotency_key_reused")


async def test_invalid_move_bodies_are_refused(restaurant: Restaurant) -> None:
    floor = Floor(restaurant)
    table, guest = await seated_at(floor, "Strict")
    path = f"{floor.table_path(table)}/move"
    for body, fields in [
        ({}, {"to_table_id"}),
        ({"to_table_id": "patio"}, {"to_table_id"}),
        ({"to_table_id": UNKNOWN, "override": "maybe"}, {"override"}),
        ({"to_table_id": UNKNOWN, "guest_id": guest["id"]}, {"guest_id"}),
        ([UNKNOWN], {"body"}),
    ]:
        assert failing_fields(await floor.api.request("POST", path, json=body)) == fields, body
    assert await floor.state(table, guest) == (table, guest)
