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


async def test_a_hold_on_a_table_that_cannot_take_the_party_needs_override_hold(
    restaurant: Restaurant,
) -> None:
    four = await restaurant.table("F4", capacity=4)
    broken = await restaurant.table("F8", capacity=8, status="out_of_service")
    host = restaurant.client("host")
    body = {
        "name": "Dubois",
        "party_size": 5,
        "kind": "reservation",
        "reserved_for": stamp(evening()),
    }

    for table, reason in ((four, "too_small"), (broken, "out_of_service")):
        refused = await host.request(
            "POST", f"{restaurant.path}/guests", json={**body, "held_table_id": table["id"]}
        )
        details = refused_with(refused, "hold_does_not_fit")
        assert (details["reason"], details["party_size"]) == (reason, 5)
        assert details["table"] == table
        assert "override_hold" in refused.json()["error"]["message"]
    assert (await restaurant.snapshot())["guests"] == [], "nothing was booked"

    kept = await host.ok(
        "POST",
        f"{restaurant.path}/guests",
        201,
        json={**body, "held_table_id": four["id"], "override_hold": True},
    )
    assert (kept["held_table_id"], kept["party_size"]) == (four["id"], 5)
    assert "override_hold" not in kept, "a flag of the request, not a field of the guest"
    await host.close()


async def test_a_party_growing_past_its_held_table_needs_override_hold(
    restaurant: Restaurant,
) -> None:
    four = await restaurant.table("G4", capacity=4)
    six = await restaurant.table("G6", capacity=6, status="out_of_service")
    booked = await book(restaurant, evening(), four, party_size=4)
    host = restaurant.client("host")
    path = f"{restaurant.path}/guests/{booked['id']}"

    for change in ({"party_size": 5}, {"held_table_id": six["id"]}):
        refused_with(await host.request("PATCH", path, json=change), "hold_does_not_fit")
        assert (await host.ok("GET", path)) == booked, "nothing changed"

    grown = await host.ok("PATCH", path, json={"party_size": 5, "override_hold": True})
    assert (grown["party_size"], grown["held_table_id"], grown["version"]) == (5, four["id"], 2)
    # Kept knowingly, it is not asked about again by edits that do not make it worse.
    await host.ok(
        "PATCH", f"{restaurant.path}/tables/{four['id']}", json={"status": "out_of_service"}
    )
    noted = await host.ok("PATCH", path, json={"notes": "Window", "party_size": 5})
    assert (noted["notes"], noted["version"]) == ("Window", 3)
    shrunk = await host.ok("PATCH", path, json={"party_size": 4})
    assert shrunk["party_size"] == 4
    await host.close()


async def test_a_seated_party_grows_at_its_held_table_without_override(
    restaurant: Restaurant,
) -> None:
    four = await restaurant.table("S4", capacity=4)
    booked = await book(restaurant, datetime.now(UTC) + timedelta(minutes=5), four, party_size=4)
    host = restaurant.client("host")
    await host.ok(
        "POST", f"{restaurant.path}/tables/{four['id']}/assign", json={"guest_id": booked["id"]}
    )

    grown = await host.ok(
        "PATCH", f"{restaurant.path}/guests/{booked['id']}", json={"party_size": 6}
    )

    assert (grown["status"], grown["party_size"]) == ("seated", 6)
    await host.close()


async def test_a_party_below_a_tables_minimum_is_never_refused(restaurant: Restaurant) -> None:
    six = await restaurant.table("M6", capacity=6, min_capacity=4)
    other = await restaurant.table("M8", capacity=8, min_capacity=6)
    host = restaurant.client("host")

    held = await book(restaurant, evening(), six, party_size=2)
    walk_in = await restaurant.guest("Pair", party_size=2)
    seated = await host.ok(
        "POST", f"{restaurant.path}/tables/{other['id']}/assign", json={"guest_id": walk_in["id"]}
    )

    assert held["held_table_id"] == six["id"]
    # Both numbers are in the answer: a client that warns compares them itself.
    assert (seated["table"]["min_capacity"], seated["guest"]["party_size"]) == (6, 2)
    await host.close()
