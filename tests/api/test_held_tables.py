"""Holds and seating: a reservation seated or moved away from the table it holds lets it go."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from hoststand.realtime.client import open_feed
from tests.api.checks import expect_error
from tests.api.test_reseating import reseat
from tests.api.test_seating import Floor
from tests.conflicts.test_reservation_overlap import stamp
from tests.conflicts.test_reservations import book
from tests.conftest import Restaurant
from tests.realtime.conftest import Device
from tests.realtime.test_broadcast import expect_events


@asynccontextmanager
async def a_device(restaurant: Restaurant) -> AsyncIterator[Device]:
    """A host's device on /realtime, closed at the end."""
    ws, hello = await open_feed(
        restaurant.api.base_url, restaurant.id, restaurant.tokens["host"], max_queue=None
    )
    device = Device(ws, hello)
    try:
        yield device
    finally:
        await device.close()


async def arriving(restaurant: Restaurant, held: dict[str, Any]) -> dict[str, Any]:
    """A reservation for ten minutes from now, holding `held` for 75 minutes."""
    return await book(restaurant, datetime.now(UTC) + timedelta(minutes=10), held, name="Rivera")


async def book_later(restaurant: Restaurant, table: dict[str, Any]) -> Any:
    """POST a second reservation holding `table` inside the first one's window; the response."""
    body = {
        "name": "Okafor",
        "party_size": 2,
        "kind": "reservation",
        "reserved_for": stamp(datetime.now(UTC) + timedelta(minutes=20)),
        "held_table_id": table["id"],
    }
    return await restaurant.client("host").request("POST", f"{restaurant.path}/guests", json=body)


async def test_a_reservation_seated_at_another_table_releases_its_hold(
    restaurant: Restaurant,
) -> None:
    floor = Floor(restaurant)
    held, window = await restaurant.table("Held"), await restaurant.table("Window")
    reservation = await arriving(restaurant, held)

    seated = await floor.assign(window, reservation)

    assert seated.status_code == 200, seated.text
    guest = seated.json()["guest"]
    assert (guest["status"], guest["table_id"]) == ("seated", window["id"])
    assert guest["held_table_id"] is None
    assert guest["reserved_for"] == reservation["reserved_for"]  # the booking itself is kept
    assert (await floor.api.ok("GET", floor.guest_path(reservation))) == guest
    later = await book_later(restaurant, held)
    assert later.status_code == 201, later.text
    assert later.json()["held_table_id"] == held["id"]


async def test_a_party_moved_off_its_held_table_releases_the_hold_and_devices_see_it(
    restaurant: Restaurant,
) -> None:
    floor = Floor(restaurant)
    held, patio = await restaurant.table("Held"), await restaurant.table("Patio")
    reservation = await arriving(restaurant, held)
    await floor.assign(held, reservation)

    async with a_device(restaurant) as device:
        moved = await floor.move(held, patio)
        assert moved.status_code == 200, moved.text
        *_, guest_event = await expect_events(
            device,
            ("table_updated", "released"),
            ("table_updated", "assigned"),
            ("guest_updated", "updated"),
        )

    guest = moved.json()["guest"]
    assert (guest["table_id"], guest["held_table_id"]) == (patio["id"], None)
    assert guest_event["guest_id"] == reservation["id"]
    assert guest_event["data"] == guest
    later = await book_later(restaurant, held)
    assert later.status_code == 201, later.text


async def test_a_reservation_seated_at_its_held_table_keeps_the_hold(
    restaurant: Restaurant,
) -> None:
    floor = Floor(restaurant)
    held = await restaurant.table("Held", status="reserved")
    reservation = await arriving(restaurant, held)

    seated = (await floor.assign(held, reservation)).json()

    assert seated["guest"]["held_table_id"] == held["id"]
    error = expect_error(await book_later(restaurant, held), 409, "table_already_held")
    assert [g["id"] for g in error["details"]["held_by"]] == [reservation["id"]]


async def test_moving_back_to_the_table_it_held_does_not_take_the_hold_back(
    restaurant: Restaurant,
) -> None:
    floor = Floor(restaurant)
    held, patio = await restaurant.table("Held"), await restaurant.table("Patio")
    reservation = await arriving(restaurant, held)
    await floor.assign(held, reservation)
    await floor.move(held, patio)
    # The hold released, the table is bussed and another reservation takes it.
    await floor.api.ok("PATCH", floor.table_path(held), json={"status": "available"})
    later = (await book_later(restaurant, held)).json()

    refused = expect_error(await floor.move(patio, held), 409, "table_reserved_soon")
    assert refused["details"]["reservation"]["id"] == later["id"]
    back = await floor.move(patio, held, override=True)

    assert back.status_code == 200, back.text
    assert back.json()["guest"]["held_table_id"] is None
    assert (await floor.api.ok("GET", floor.guest_path(later)))["held_table_id"] == held["id"]


async def test_undoing_a_release_keeps_the_hold_where_the_party_sat(
    restaurant: Restaurant,
) -> None:
    floor = Floor(restaurant)
    held, window = await restaurant.table("Held"), await restaurant.table("Window")
    at_held = await arriving(restaurant, held)
    elsewhere = await arriving(restaurant, await restaurant.table("Other"))
    await floor.assign(held, at_held)
    await floor.assign(window, elsewhere)
    await floor.release(held)
    await floor.release(window)

    back_at_held = (await reseat(floor, held, at_held)).json()["guest"]
    back_elsewhere = (await reseat(floor, window, elsewhere)).json()["guest"]

    assert back_at_held["held_table_id"] == held["id"]
    assert back_elsewhere["held_table_id"] is None


async def test_undoing_a_release_gives_way_to_a_hold_taken_since(
    restaurant: Restaurant,
) -> None:
    floor = Floor(restaurant)
    held = await restaurant.table("Held")
    reservation = await arriving(restaurant, held)
    await floor.assign(held, reservation)
    await floor.release(held)
    # The party left: its hold stopped, and another reservation took the table meanwhile.
    later = await book_later(restaurant, held)
    assert later.status_code == 201, later.text

    back = await reseat(floor, held, reservation)

    assert back.status_code == 200, back.text
    guest = back.json()["guest"]
    assert (guest["status"], guest["table_id"], guest["held_table_id"]) == (
        "seated",
        held["id"],
        None,
    )
    still = await floor.api.ok("GET", floor.guest_path(later.json()))
    assert still["held_table_id"] == held["id"]


async def test_a_seated_reservation_cannot_hold_another_table(restaurant: Restaurant) -> None:
    floor = Floor(restaurant)
    held, other = await restaurant.table("Held"), await restaurant.table("Other")
    reservation = await arriving(restaurant, held)
    await floor.assign(held, reservation)
    path = floor.guest_path(reservation)

    error = expect_error(
        await floor.api.request("PATCH", path, json={"held_table_id": other["id"]}),
        409,
        "guest_seated",
    )

    assert error["details"]["held_table_id"] == held["id"]
    assert (await floor.api.ok("GET", path))["held_table_id"] == held["id"]
    later = await book_later(restaurant, other)
    assert later.status_code == 201, later.text


async def test_a_seated_reservation_may_let_its_hold_go_and_hold_its_own_table_again(
    restaurant: Restaurant,
) -> None:
    floor = Floor(restaurant)
    held = await restaurant.table("Held")
    reservation = await arriving(restaurant, held)
    await floor.assign(held, reservation)
    path = floor.guest_path(reservation)

    let_go = await floor.api.ok("PATCH", path, json={"held_table_id": None})
    again = await floor.api.ok("PATCH", path, json={"held_table_id": held["id"]})

    assert (let_go["held_table_id"], again["held_table_id"]) == (None, held["id"])
    expect_error(await book_later(restaurant, held), 409, "table_already_held")


async def test_a_finished_reservation_may_hold_any_table_of_its_own_restaurant_only(
    restaurant: Restaurant,
) -> None:
    floor = Floor(restaurant)
    held, other = await restaurant.table("Held"), await restaurant.table("Other")
    elsewhere = await (await restaurant.api.restaurant("Elsewhere")).table("Theirs")
    reservation = await arriving(restaurant, held)
    path = floor.guest_path(reservation)
    await floor.api.ok("PATCH", path, json={"status": "cancelled"})

    # A cancelled reservation holds nothing: the table it names is checked when it is restored.
    moved = await floor.api.ok("PATCH", path, json={"held_table_id": other["id"]})
    later = await book_later(restaurant, other)
    error = expect_error(
        await floor.api.request("PATCH", path, json={"held_table_id": elsewhere["id"]}),
        404,
        "not_found",
    )

    assert moved["held_table_id"] == other["id"]
    assert later.status_code == 201, later.text
    assert error["details"] == {"kind": "table", "id": elsewhere["id"]}
    assert (await floor.api.ok("GET", path))["held_table_id"] == other["id"]
