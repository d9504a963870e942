"""Reservations: how long they hold a table, and what that hold refuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conflicts.test_reservation_overlap import evening, stamp
from tests.conftest import Api, Restaurant


async def book(
    restaurant: Restaurant, start: datetime, table: dict[str, Any] | None = None, **fields: Any
) -> dict[str, Any]:
    """A reservation starting at `start`, holding `table` if given."""
    body: dict[str, Any] = {
        "name": "Booked",
        "party_size": 2,
        "kind": "reservation",
        "reserved_for": stamp(start),
        **fields,
    }
    if table is not None:
        body["held_table_id"] = table["id"]
    return await restaurant.guest(**body)


def refused_with(response: Any, code: str) -> dict[str, Any]:
    """Assert a 409 with `code`; its details."""
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == code, error
    return error["details"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("party_size", "minutes"),
    [(1, 75), (2, 75), (3, 90), (4, 90), (5, 105), (6, 105), (7, 120), (20, 120)],
)
async def test_default_duration_follows_the_party_size(
    restaurant: Restaurant, party_size: int, minutes: int
) -> None:
    start = evening()

    booked = await book(restaurant, start, party_size=party_size)

    assert booked["duration_minutes"] == minutes
    assert booked["reserved_until"] == stamp(start + timedelta(minutes=minutes))


async def test_turn_times_are_set_per_restaurant(api: Api) -> None:
    mine, other = await api.restaurant("Quick Turns"), await api.restaurant("Default Turns")
    turns = [{"max_party_size": 2, "minutes": 45}, {"max_party_size": 50, "minutes": 150}]
    owner = mine.client("owner")

    changed = await owner.ok("PATCH", mine.path, json={"turn_times": turns})

    assert changed["turn_times"] == turns
    assert (await book(mine, evening(), party_size=2))["duration_minutes"] == 45
    assert (await book(mine, evening(), party_size=6))["duration_minutes"] == 150
    assert (await book(other, evening(), party_size=2))["duration_minutes"] == 75
    explicit = await book(mine, evening(), party_size=2, duration_minutes=30)
    assert explicit["duration_minutes"] == 30
    await owner.close()


async def test_moving_a_reservation_rechecks_the_hold(restaurant: Restaurant) -> None:
    table, other_table = await restaurant.table("H1"), await restaurant.table("H2")
    start = evening()
    await book(restaurant, start, table)  # 19:00 to 20:15
    later = await book(restaurant, start + timedelta(hours=2), table)
    elsewhere = await book(restaurant, start + timedelta(minutes=30), other_table)
    early = await book(restaurant, start - timedelta(minutes=90), table, duration_minutes=60)
    host = restaurant.client("host")
    guests = f"{restaurant.path}/guests"

    attempts = [
        (later, {"reserved_for": stamp(start + timedelta(minutes=30))}),
        (elsewhere, {"held_table_id": table["id"]}),
        (early, {"duration_minutes": 120}),
    ]
    for guest, change in attempts:
        response = await host.request("PATCH", f"{guests}/{guest['id']}", json=change)
        details = refused_with(response, "table_already_held")
        assert details["table_id"] == table["id"]
        assert (await host.ok("GET", f"{guests}/{guest['id']}")) == guest, "nothing changed"

    # Moves that keep clear of the other hold are fine.
    moved = await host.ok(
        "PATCH",
        f"{guests}/{later['id']}",
        json={"reserved_for": stamp(start + timedelta(minutes=75))},
    )
    assert moved["reserved_until"] == stamp(start + timedelta(minutes=150))
    await host.close()


@pytest.mark.parametrize("status", ["cancelled", "no_show"])
async def test_a_cancelled_or_no_show_reservation_stops_holding(
    restaurant: Restaurant, status: str
) -> None:
    table = await restaurant.table("C1")
    start = evening()
    first = await book(restaurant, start, table)
    host = restaurant.client("host")
    guests = f"{restaurant.path}/guests"

    await host.ok("PATCH", f"{guests}/{first['id']}", json={"status": status})
    second = await book(restaurant, start, table)

    # Restoring the first would overlap the second: refused, and it stays as it was.
    restore = await host.request("PATCH", f"{guests}/{first['id']}", json={"status": "booked"})
    refused_with(restore, "table_already_held")
    assert (await host.ok("GET", f"{guests}/{first['id']}"))["status"] == status
    assert second["held_table_id"] == table["id"]
    await host.close()


async def test_a_walk_in_is_kept_off_a_table_reserved_soon_unless_overridden(
    restaurant: Restaurant,
) -> None:
    table = await restaurant.table("S1")
    soon = datetime.now(UTC) + timedelta(minutes=20)
    reservation = await book(restaurant, soon, table)
    walk_in = await restaurant.guest("Walk-in")
    host = restaurant.client("host")
    assign = f"{restaurant.path}/tables/{table['id']}/assign"

    refused = await host.request("POST", assign, json={"guest_id": walk_in["id"]})
    details = refused_with(refused, "table_reserved_soon")
    assert details["reservation"]["id"] == reservation["id"]
    assert (await host.ok("GET", f"{restaurant.path}/tables/{table['id']}"))[
        "status"
    ] == "available"

    seated = await host.ok("POST", assign, json={"guest_id": walk_in["id"], "override": True})
    assert seated["guest"]["status"] == "seated"
    await host.close()


async def test_a_reservation_outside_the_window_does_not_block(restaurant: Restaurant) -> None:
    table = await restaurant.table("S2")
    await book(restaurant, datetime.now(UTC) + timedelta(minutes=45), table)
    walk_in = await restaurant.guest("Early Bird")

    seated = await restaurant.client("host").ok(
        "POST", f"{restaurant.path}/tables/{table['id']}/assign", json={"guest_id": walk_in["id"]}
    )

    assert seated["table"]["current_guest_id"] == walk_in["id"]


async def test_the_warning_window_is_configurable(start_server: Any) -> None:
    server = start_server(reservation_warning_minutes=60)
    api = Api(server.base_url)
    restaurant = await api.restaurant()
    table = await restaurant.table("S3")
    await book(restaurant, datetime.now(UTC) + timedelta(minutes=45), table)
    walk_in = await restaurant.guest("Walk-in")

    refused = await api.request(
        "POST", f"{restaurant.path}/tables/{table['id']}/assign", json={"guest_id": walk_in["id"]}
    )

    refused_with(refused, "table_reserved_soon")
    await api.close()


async def test_a_reservation_is_seated_at_its_own_reserved_table(restaurant: Restaurant) -> None:
    table = await restaurant.table("O1")
    host = restaurant.client("host")
    table_path = f"{restaurant.path}/tables/{table['id']}"
    await host.ok("PATCH", table_path, json={"status": "reserved"})
    mine = await book(restaurant, datetime.now(UTC) + timedelta(minutes=10), table)
    walk_in = await restaurant.guest("Walk-in")
    other = await book(restaurant, datetime.now(UTC) + timedelta(minutes=10))

    for stranger in (walk_in, other):
        response = await host.request(
            "POST", f"{table_path}/assign", json={"guest_id": stranger["id"]}
        )
        refused_with(response, "table_not_available")
    seated = await host.ok("POST", f"{table_path}/assign", json={"guest_id": mine["id"]})

    assert seated["table"]["status"] == "occupied"
    assert (seated["guest"]["status"], seated["guest"]["table_id"]) == ("seated", table["id"])
    await host.close()
