"""Assign and release: a party is seated at a table and leaves it, in one transaction each."""

from __future__ import annotations

from typing import Any

from tests.api.checks import assert_wire_timestamps, expect_error, failing_fields
from tests.conftest import Api, Restaurant

UNKNOWN = "11111111-2222-4333-8444-555555555555"


class Floor:
    """Paths and calls of one restaurant's seating, for brevity."""

    def __init__(self, restaurant: Restaurant) -> None:
        self.restaurant = restaurant
        self.api = restaurant.client("host")

    def table_path(self, table: dict[str, Any]) -> str:
        """The API path of a table."""
        return f"{self.restaurant.path}/tables/{table['id']}"

    def guest_path(self, guest: dict[str, Any]) -> str:
        """The API path of a guest."""
        return f"{self.restaurant.path}/guests/{guest['id']}"

    async def assign(self, table: dict[str, Any], guest: dict[str, Any], **extra: Any) -> Any:
        """POST .../assign, as a host."""
        return await self.api.request(
            "POST", f"{self.table_path(table)}/assign", json={"guest_id": guest["id"], **extra}
        )

    async def move(self, table: dict[str, Any], to: dict[str, Any], **extra: Any) -> Any:
        """POST .../move, as a host (headers=... passes headers)."""
        headers = extra.pop("headers", None)
        return await self.api.request(
            "POST",
            f"{self.table_path(table)}/move",
            json={"to_table_id": to["id"], **extra},
            headers=headers,
        )

    async def release(self, table: dict[str, Any]) -> Any:
        """POST .../release, as a host."""
        return await self.api.request("POST", f"{self.table_path(table)}/release")

    async def state(self, table: dict[str, Any], guest: dict[str, Any]) -> tuple[Any, Any]:
        """The table and the guest as the API shows them now."""
        return (
            await self.api.ok("GET", self.table_path(table)),
            await self.api.ok("GET", self.guest_path(guest)),
        )


async def test_a_walk_in_is_seated_then_released(restaurant: Restaurant) -> None:
    floor = Floor(restaurant)
    table = await restaurant.table("12", capacity=4)
    guest = await restaurant.guest("Rivera", party_size=2)
    response = await floor.assign(table, guest)
    assert response.status_code == 200, response.text
    seated = response.json()
    assert seated["table"]["status"] == "occupied"
    assert seated["table"]["current_guest_id"] == guest["id"]
    assert seated["table"]["version"] == table["version"] + 1
    assert seated["guest"]["status"] == "seated"
    assert seated["guest"]["table_id"] == table["id"]
    assert seated["guest"]["seated_at"] is not None
    assert seated["guest"]["version"] == guest["version"] + 1
    assert response.headers["etag"] == f'"{seated["table"]["version"]}"'
    assert_wire_timestamps(seated, at_least=6)
    assert await floor.state(table, guest) == (seated["table"], seated["guest"])

    response = await floor.release(table)
    assert response.status_code == 200, response.text
    released = response.json()
    assert released["table"]["status"] == "dirty"
    assert released["table"]["current_guest_id"] is None
    assert released["guest"]["status"] == "completed"
    assert released["guest"]["table_id"] is None
    assert released["guest"]["completed_at"] is not None
    assert released["guest"]["seated_at"] == seated["guest"]["seated_at"]
    assert_wire_timestamps(released, at_least=6)
    assert await floor.state(table, guest) == (released["table"], released["guest"])

    snapshot = await restaurant.snapshot()
    assert [t["status"] for t in snapshot["tables"]] == ["dirty"]
    assert [g["status"] for g in snapshot["guests"]] == ["completed"]  # finished today
    assert_wire_timestamps(snapshot, at_least=9)


async def test_a_released_table_is_cleaned_and_seats_the_next_party(
    restaurant: Restaurant,
) -> None:
    floor = Floor(restaurant)
    table = await restaurant.table("5")
    first, second = await restaurant.guest("First"), await restaurant.guest("Second")
    assert (await floor.assign(table, first)).status_code == 200
    assert (await floor.release(table)).status_code == 200
    expect_error(await floor.assign(table, second), 409, "table_not_available")
    await floor.api.ok("PATCH", floor.table_path(table), json={"status": "available"})
    seated = (await floor.assign(table, second)).json()
    assert seated["table"]["current_guest_id"] == second["id"]


async def test_guests_are_seated_from_every_status_that_allows_it(restaurant: Restaurant) -> None:
    floor = Floor(restaurant)
    for status in ("waiting", "notified", "arrived"):
        guest = await restaurant.guest(status.title())
        if status != "waiting":
            await floor.api.ok("PATCH", floor.guest_path(guest), json={"status": status})
        table = await restaurant.table(f"From {status}")
        assert (await floor.assign(table, guest)).status_code == 200, status
    booked = await restaurant.guest(
        "Booked", kind="reservation", reserved_for="2025-09-01T19:00:00Z"
    )
    table = await restaurant.table("From booked")
    assert (await floor.assign(table, booked)).json()["guest"]["status"] == "seated"


async def test_a_table_that_is_not_available_is_refused(restaurant: Restaurant) -> None:
    floor = Floor(restaurant)
    guest = await restaurant.guest("Hopeful")
    for status in ("dirty", "out_of_service", "reserved"):
        table = await restaurant.table(f"Not {status}", status=status)
        error = expect_error(await floor.assign(table, guest), 409, "table_not_available")
        assert error["details"]["id"] == table["id"]
        assert error["details"]["status"] == status
        assert await floor.state(table, guest) == (table, guest)


async def test_an_occupied_table_is_refused_to_a_second_party(restaurant: Restaurant) -> None:
    floor = Floor(restaurant)
    table = await restaurant.table("Taken")
    first, second = await restaurant.guest("First"), await restaurant.guest("Second")
    seated = (await floor.assign(table, first)).json()
    error = expect_error(await floor.assign(table, second), 409, "table_not_available")
    assert error["details"]["current_guest_id"] == first["id"]
    assert await floor.state(table, first) == (seated["table"], seated["guest"])
    assert (await floor.api.ok("GET", floor.guest_path(second))) == second


async def test_a_guest_who_cannot_be_seated_from_its_status_is_refused(
    restaurant: Restaurant,
) -> None:
    floor = Floor(restaurant)
    for status in ("cancelled", "no_show"):
        guest = await restaurant.guest(status)
        guest = await floor.api.ok("PATCH", floor.guest_path(guest), json={"status": status})
        table = await restaurant.table(f"For {status}")
        error = expect_error(await floor.assign(table, guest), 409, "invalid_transition")
        assert error["details"] == {"from": status, "to": "seated"}
        assert status in error["message"]
        assert await floor.state(table, guest) == (table, guest)


async def test_a_seated_or_completed_guest_is_not_seated_again(restaurant: Restaurant) -> None:
    floor = Floor(restaurant)
    guest = await restaurant.guest("Already")
    first, second = await restaurant.table("First"), await restaurant.table("Second")
    seated = (await floor.assign(first, guest)).json()
    error = expect_error(await floor.assign(second, guest), 409, "guest_seated")
    assert error["details"]["table_id"] == first["id"]
    assert "release that table first" in error["message"]
    assert await floor.state(first, guest) == (seated["table"], seated["guest"])
    assert (await floor.api.ok("GET", floor.table_path(second))) == second
    await floor.release(first)
    error = expect_error(await floor.assign(second, guest), 409, "invalid_transition")
    assert error["details"] == {"from": "completed", "to": "seated"}


async def test_a_party_larger_than_the_table_needs_override_capacity(
    restaurant: Restaurant,
) -> None:
    floor = Floor(restaurant)
    table = await restaurant.table("Two-top", capacity=2)
    guest = await restaurant.guest("Big party", party_size=5)
    error = expect_error(await floor.assign(table, guest), 409, "party_too_large")
    assert error["details"] == {"party_size": 5, "capacity": 2}
    assert "override_capacity" in error["message"]
    assert await floor.state(table, guest) == (table, guest)
    refused = await floor.assign(table, guest, override_capacity=False)
    expect_error(refused, 409, "party_too_large")
    response = await floor.assign(table, guest, override_capacity=True)
    assert response.status_code == 200, response.text
    assert response.json()["guest"]["status"] == "seated"


async def test_a_party_that_fits_exactly_needs_no_override(restaurant: Restaurant) -> None:
    floor = Floor(restaurant)
    table = await restaurant.table("Four-top", capacity=4)
    guest = await restaurant.guest("Four", party_size=4)
    assert (await floor.assign(table, guest)).status_code == 200


async def test_invalid_assign_bodies_are_refused(restaurant: Restaurant) -> None:
    floor = Floor(restaurant)
    table = await restaurant.table("Strict")
    path = f"{floor.table_path(table)}/assign"
    for body, fields in [
        ({}, {"guest_id"}),
        ({"guest_id": "table-12"}, {"guest_id"}),
        ({"guest_id": UNKNOWN, "override_capacity": "maybe"}, {"override_capacity"}),
        ({"guest_id": UNKNOWN, "seat_now": True}, {"seat_now"}),
        ([UNKNOWN], {"body"}),
    ]:
        assert failing_fields(await floor.api.request("POST", path, json=body)) == fields, body
    assert failing_fields(await floor.api.request("POST", path)) == {"body"}
    response = await floor.api.request(
        "POST", path, content=b"{guest_id: 1}", headers={"Content-Type": "application/json"}
    )
    expect_error(response, 422, "invalid_json")
    assert (await floor.api.ok("GET", floor.table_path(table))) == table


async def test_unknown_guests_and_tables_are_not_found_for_assign(
    api: Api, restaurant: Restaurant
) -> None:
    floor = Floor(restaurant)
    table = await restaurant.table("Here")
    guest = await restaurant.guest("Here")
    other = await api.restaurant("Elsewhere")
    foreign_guest = await other.guest("Not yours")
    foreign_table = await other.table("Not yours")
    for unknown_guest in ({"id": UNKNOWN}, foreign_guest):
        error = expect_error(await floor.assign(table, unknown_guest), 404, "not_found")
        assert "guest" in error["message"]
        assert error["details"] == {"kind": "guest", "id": unknown_guest["id"]}
    for unknown_table in ({"id": UNKNOWN}, foreign_table):
        error = expect_error(await floor.assign(unknown_table, guest), 404, "not_found")
        assert error["details"] == {"kind": "table", "id": unknown_table["id"]}
        expect_error(await floor.release(unknown_table), 404, "not_found")
    assert await floor.state(table, guest) == (table, guest)
    assert (await api.ok("GET", f"{other.path}/guests/{foreign_guest['id']}")) == foreign_guest


async def test_releasing_a_table_that_is_not_occupied_is_refused(restaurant: Restaurant) -> None:
    floor = Floor(restaurant)
    for status in ("available", "dirty", "reserved", "out_of_service"):
        table = await restaurant.table(f"Idle {status}", status=status)
        error = expect_error(await floor.release(table), 409, "table_not_occupied")
        assert error["details"]["status"] == status
        assert (await floor.api.ok("GET", floor.table_path(table))) == table


async def test_a_table_is_released_only_once(restaurant: Restaurant) -> None:
    floor = Floor(restaurant)
    table = await restaurant.table("Once")
    guest = await restaurant.guest("Once")
    await floor.assign(table, guest)
    released = (await floor.release(table)).json()
    expect_error(await floor.release(table), 409, "table_not_occupied")
    assert await floor.state(table, guest) == (released["table"], released["guest"])
