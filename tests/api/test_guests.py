"""/api/v1/restaurants/{id}/guests: walk-ins and reservations, their edits and their statuses."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tests.api.checks import assert_wire_timestamps, expect_error, failing_fields
from tests.api.test_moving import seated_at
from tests.api.test_seating import Floor
from tests.conftest import Api, Restaurant

UNKNOWN = "11111111-2222-4333-8444-555555555555"


def ids(page: dict[str, Any]) -> list[str]:
    """The ids of a page's items, in order."""
    return [item["id"] for item in page["items"]]


async def test_a_walk_in_joins_the_waitlist(restaurant: Restaurant) -> None:
    host = restaurant.client("host")
    response = await host.request(
        "POST",
        f"{restaurant.path}/guests",
        json={
            "name": " Rivera ",
            "party_size": 2,
            "phone": "+1 415-555-0123",
            "quoted_wait_minutes": 15,
            "notes": "window if possible",
            "tags": ["birthday", " birthday", "vip"],
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["name"] == "Rivera"
    assert body["restaurant_id"] == restaurant.id
    assert (body["kind"], body["status"], body["party_size"]) == ("walk_in", "waiting", 2)
    assert body["phone"] == "+14155550123"
    assert body["tags"] == ["birthday", "vip"]
    assert (body["quoted_wait_minutes"], body["notes"]) == (15, "window if possible")
    for absent in ("reserved_for", "reserved_until", "duration_minutes", "table_id", "seated_at"):
        assert body[absent] is None, absent
    assert body["joined_at"] == body["created_at"]
    assert body["version"] == 1
    assert response.headers["etag"] == '"1"'
    assert_wire_timestamps(body, at_least=3)
    assert (await host.ok("GET", f"{restaurant.path}/guests/{body['id']}")) == body


async def test_a_reservation_is_booked_in_utc_with_a_default_duration(
    restaurant: Restaurant,
) -> None:
    body = await restaurant.guest(
        "Okafor", party_size=4, kind="reservation", reserved_for="2025-09-01T19:30:00.750+02:00"
    )
    assert (body["kind"], body["status"]) == ("reservation", "booked")
    assert body["reserved_for"] == "2025-09-01T17:30:00Z"
    assert body["duration_minutes"] == 90  # the default turn time of a party of four
    assert body["reserved_until"] == "2025-09-01T19:00:00Z"
    assert_wire_timestamps(body, at_least=5)


async def test_invalid_guests_are_refused_with_the_failing_fields(restaurant: Restaurant) -> None:
    when = "2025-09-01T19:30:00Z"
    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({}, {"name", "party_size"}),
        ({"name": "", "party_size": 2}, {"name"}),
        ({"name": "A", "party_size": 0}, {"party_size"}),
        ({"name": "A", "party_size": 501}, {"party_size"}),
        ({"name": "A", "party_size": 2, "phone": "555-0123"}, {"phone"}),
        ({"name": "A", "party_size": 2, "phone": "+1 000"}, {"phone"}),
        ({"name": "A", "party_size": 2, "kind": "vip"}, {"kind"}),
        ({"name": "A", "party_size": 2, "kind": "reservation"}, {"reserved_for"}),
        (
            {"name": "A", "party_size": 2, "kind": "reservation", "reserved_for": "tonight"},
            {"reserved_for"},
        ),
        (
            {"name": "A", "party_size": 2, "kind": "reservation", "reserved_for": when[:-1]},
            {"reserved_for"},
        ),
        ({"name": "A", "party_size": 2, "reserved_for": when}, {"reserved_for"}),
        ({"name": "A", "party_size": 2, "held_table_id": UNKNOWN}, {"held_table_id"}),
        ({"name": "A", "party_size": 2, "duration_minutes": 60}, {"duration_minutes"}),
        ({"name": "A", "party_size": 2, "quoted_wait_minutes": -1}, {"quoted_wait_minutes"}),
        ({"name": "A", "party_size": 2, "tags": ["ok", " "]}, {"tags"}),
        ({"name": "A", "party_size": 2, "tags": [f"t{n}" for n in range(21)]}, {"tags"}),
        ({"name": "A", "party_size": 2, "notes": "x" * 2001}, {"notes"}),
        ({"name": "A", "party_size": 2, "status": "seated"}, {"status"}),
        ({"name": "A\u0000", "party_size": 2}, {"name"}),
        ({"name": "A", "party_size": 2, "notes": "nul \u0000"}, {"notes"}),
        ({"name": "A", "party_size": 2, "tags": ["\u0000"]}, {"tags"}),
        (
            {
                "name": "A",
                "party_size": 2,
                "kind": "reservation",
                "reserved_for": "9999-12-31T23:00Z",
            },
            {"reserved_for"},  # an overflow (500) when its end was computed, before
        ),
        (
            {
                "name": "A",
                "party_size": 2,
                "kind": "reservation",
                "reserved_for": "1999-12-31T23:00Z",
            },
            {"reserved_for"},
        ),
    ]
    for body, fields in cases:
        response = await restaurant.api.request("POST", f"{restaurant.path}/guests", json=body)
        assert failing_fields(response) == fields, body
    assert (await restaurant.api.ok("GET", f"{restaurant.path}/guests"))["items"] == []


async def test_a_reservation_holding_an_unknown_table_is_not_found(restaurant: Restaurant) -> None:
    response = await restaurant.api.request(
        "POST",
        f"{restaurant.path}/guests",
        json={
            "name": "A",
            "party_size": 2,
            "kind": "reservation",
            "reserved_for": "2025-09-01T19:30:00Z",
            "held_table_id": UNKNOWN,
        },
    )
    expect_error(response, 404, "not_found")


async def test_unknown_guest_ids_are_not_found(api: Api, restaurant: Restaurant) -> None:
    other = await api.restaurant("Elsewhere")
    elsewhere = await other.guest("Not yours")
    for gid in (UNKNOWN, "not-a-uuid", elsewhere["id"]):
        path = f"{restaurant.path}/guests/{gid}"
        for method, body in (("GET", None), ("PATCH", {"name": "Z"}), ("DELETE", None)):
            expect_error(await api.request(method, path, json=body), 404, "not_found")
    for method in ("GET", "POST"):
        response = await api.request(
            method, f"restaurants/{UNKNOWN}/guests", json={"name": "A", "party_size": 2}
        )
        expect_error(response, 404, "not_found")
    assert (await api.ok("GET", f"{other.path}/guests/{elsewhere['id']}")) == elsewhere


async def test_guests_are_filtered_by_one_or_several_statuses_and_by_kind(
    restaurant: Restaurant,
) -> None:
    path = f"{restaurant.path}/guests"
    waiting = await restaurant.guest("Waiting")
    notified = await restaurant.guest("Notified")
    await restaurant.api.ok("PATCH", f"{path}/{notified['id']}", json={"status": "notified"})
    cancelled = await restaurant.guest("Cancelled")
    await restaurant.api.ok("PATCH", f"{path}/{cancelled['id']}", json={"status": "cancelled"})
    booked = await restaurant.guest(
        "Booked", kind="reservation", reserved_for="2025-09-01T19:30:00Z"
    )
    viewer = restaurant.client("viewer")

    async def listed(params: Any) -> list[str]:
        return ids(await viewer.ok("GET", path, params=params))

    assert await listed({"status": "waiting"}) == [waiting["id"]]
    both = [("status", "waiting"), ("status", "notified")]
    assert await listed(both) == [waiting["id"], notified["id"]]
    assert await listed({"status": "booked"}) == [booked["id"]]
    assert await listed({"kind": "reservation"}) == [booked["id"]]
    walk_ins = [waiting["id"], notified["id"], cancelled["id"]]
    assert await listed({"kind": "walk_in"}) == walk_ins
    assert await listed([("kind", "walk_in"), ("status", "cancelled")]) == [cancelled["id"]]
    assert await listed({}) == [*walk_ins, booked["id"]]
    for params, field in [
        ({"status": "eating"}, "status.0"),  # the first (and only) status given
        ({"kind": "vip"}, "kind"),
        ({"day": "2025-13-01"}, "day"),
        ({"day": "yesterday"}, "day"),
        ({"day": "9999-12-31"}, "day"),  # a dropped connection (overflow), before
        ({"day": "0001-01-01"}, "day"),
        ({"limit": 0}, "limit"),
        ({"cursor": "e30"}, "cursor"),  # "{}"
    ]:
        assert failing_fields(await viewer.request("GET", path, params=params)) == {field}


async def test_guests_are_filtered_by_day_in_the_restaurants_time_zone(api: Api) -> None:
    restaurant = await api.restaurant("West coast", timezone="America/Los_Angeles")
    path = f"{restaurant.path}/guests"
    # 05:00Z on the 2nd is 22:00 on the 1st in Los Angeles; 06:00Z on the 1st is 23:00 on the 31st.
    late_on_the_first = await restaurant.guest(
        "Late", kind="reservation", reserved_for="2025-09-02T05:00:00Z"
    )
    on_the_31st = await restaurant.guest(
        "Earlier", kind="reservation", reserved_for="2025-09-01T06:00:00Z"
    )
    walk_in = await restaurant.guest("Walk-in")
    joined = datetime.fromisoformat(walk_in["joined_at"].replace("Z", "+00:00"))
    today = joined.astimezone(ZoneInfo("America/Los_Angeles")).date().isoformat()
    for day, expected in [
        ("2025-09-01", [late_on_the_first]),
        ("2025-08-31", [on_the_31st]),
        ("2025-09-02", []),
        (today, [walk_in]),
    ]:
        page = await api.ok("GET", path, params={"day": day})
        assert ids(page) == [g["id"] for g in expected], day
    page = await api.ok("GET", path, params={"day": "2025-09-01", "kind": "walk_in"})
    assert page["items"] == []


async def test_guests_are_paged_in_joining_order_with_a_filter_kept(
    restaurant: Restaurant,
) -> None:
    path = f"{restaurant.path}/guests"
    waiting = []
    for n in range(5):
        guest = await restaurant.guest(f"G{n}")
        if n == 2:
            await restaurant.api.ok("PATCH", f"{path}/{guest['id']}", json={"status": "cancelled"})
        else:
            waiting.append(guest["id"])
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 3, "status": "waiting"}
    while True:
        page = await restaurant.api.ok("GET", path, params=params)
        assert len(page["items"]) <= 3
        assert_wire_timestamps(page["items"], at_least=0)
        seen.extend(ids(page))
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == waiting


async def test_a_guest_is_edited(restaurant: Restaurant) -> None:
    guest = await restaurant.guest("Lindqvist", party_size=6, tags=["birthday"])
    path = f"{restaurant.path}/guests/{guest['id']}"
    response = await restaurant.client("host").request(
        "PATCH",
        path,
        json={
            "name": "Lindqvist-Berg",
            "party_size": 5,
            "phone": "+46 8 123 456 78",
            "quoted_wait_minutes": 25,
            "notes": "high chair",
            "tags": [],
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "Lindqvist-Berg"
    assert (body["party_size"], body["phone"]) == (5, "+46812345678")
    assert (body["quoted_wait_minutes"], body["notes"], body["tags"]) == (25, "high chair", [])
    assert (body["status"], body["version"]) == ("waiting", 2)
    assert response.headers["etag"] == '"2"'
    assert (body["joined_at"], body["created_at"]) == (guest["joined_at"], guest["created_at"])
    assert_wire_timestamps(body, at_least=3)
    cleared = await restaurant.api.ok("PATCH", path, json={"phone": None, "notes": None})
    assert (cleared["phone"], cleared["notes"], cleared["name"]) == (None, None, "Lindqvist-Berg")


async def test_a_reservation_is_moved_and_keeps_its_fields(restaurant: Restaurant) -> None:
    guest = await restaurant.guest(
        "Moved", party_size=2, kind="reservation", reserved_for="2025-09-01T19:00:00Z"
    )
    path = f"{restaurant.path}/guests/{guest['id']}"
    body = await restaurant.api.ok(
        "PATCH", path, json={"reserved_for": "2025-09-01T21:15:00-04:00", "duration_minutes": 120}
    )
    assert body["reserved_for"] == "2025-09-02T01:15:00Z"
    assert body["reserved_until"] == "2025-09-02T03:15:00Z"
    assert body["kind"] == "reservation"


async def test_invalid_guest_changes_are_refused_and_change_nothing(
    restaurant: Restaurant,
) -> None:
    walk_in = await restaurant.guest("Walk-in")
    booked = await restaurant.guest(
        "Booked", kind="reservation", reserved_for="2025-09-01T19:00:00Z"
    )
    path = f"{restaurant.path}/guests"
    for guest, body, fields in [
        (walk_in, {"name": None}, {"name"}),
        (walk_in, {"party_size": None}, {"party_size"}),
        (walk_in, {"party_size": 0}, {"party_size"}),
        (walk_in, {"status": None}, {"status"}),
        (walk_in, {"status": "eating"}, {"status"}),
        (walk_in, {"tags": None}, {"tags"}),
        (walk_in, {"kind": "reservation"}, {"kind"}),
        (walk_in, {"phone": "call me"}, {"phone"}),
        (walk_in, {"reserved_for": "2025-09-01T19:00:00Z"}, {"reserved_for"}),
        (
            walk_in,
            {"duration_minutes": 60, "held_table_id": UNKNOWN},
            {"duration_minutes", "held_table_id"},
        ),
        (booked, {"reserved_for": None}, {"reserved_for"}),
        (booked, {"reserved_for": "2025-09-01T19:00:00"}, {"reserved_for"}),
    ]:
        response = await restaurant.api.request("PATCH", f"{path}/{guest['id']}", json=body)
        assert failing_fields(response) == fields, body
    for guest in (walk_in, booked):
        assert (await restaurant.api.ok("GET", f"{path}/{guest['id']}")) == guest


async def test_a_walk_in_is_notified_arrives_cancels_and_is_restored(
    restaurant: Restaurant,
) -> None:
    guest = await restaurant.guest("Moving along")
    path = f"{restaurant.path}/guests/{guest['id']}"
    host = restaurant.client("host")
    notified = await host.ok("PATCH", path, json={"status": "notified"})
    assert notified["status"] == "notified"
    assert notified["notified_at"] is not None
    arrived = await host.ok("PATCH", path, json={"status": "arrived"})
    assert arrived["arrived_at"] is not None
    cancelled = await host.ok("PATCH", path, json={"status": "cancelled"})
    assert cancelled["completed_at"] is not None
    restored = await host.ok("PATCH", path, json={"status": "waiting"})
    assert (restored["status"], restored["completed_at"]) == ("waiting", None)
    no_show = await host.ok("PATCH", path, json={"status": "no_show"})
    assert no_show["status"] == "no_show"
    assert no_show["version"] == 6
    assert_wire_timestamps(no_show, at_least=5)


async def test_illegal_guest_transitions_are_refused_naming_both_states(
    restaurant: Restaurant,
) -> None:
    path = f"{restaurant.path}/guests"
    walk_in = await restaurant.guest("Walk-in")
    booked = await restaurant.guest(
        "Booked", kind="reservation", reserved_for="2025-09-01T19:00:00Z"
    )
    arrived = await restaurant.guest("Arrived")
    arrived = await restaurant.api.ok(
        "PATCH", f"{path}/{arrived['id']}", json={"status": "arrived"}
    )
    for guest, current, target in [
        (walk_in, "waiting", "seated"),
        (walk_in, "waiting", "completed"),
        (walk_in, "waiting", "booked"),
        (booked, "booked", "waiting"),
        (booked, "booked", "seated"),
        (arrived, "arrived", "no_show"),
    ]:
        response = await restaurant.api.request(
            "PATCH", f"{path}/{guest['id']}", json={"status": target}
        )
        error = expect_error(response, 409, "invalid_transition")
        assert error["details"] == {"from": current, "to": target}
        assert current in error["message"]
        assert target in error["message"]
        assert (await restaurant.api.ok("GET", f"{path}/{guest['id']}")) == guest


async def test_a_completed_guest_stays_completed(restaurant: Restaurant) -> None:
    table = await restaurant.table("Done")
    guest = await restaurant.guest("Finished")
    tables = f"{restaurant.path}/tables/{table['id']}"
    await restaurant.api.ok("POST", f"{tables}/assign", json={"guest_id": guest["id"]})
    await restaurant.api.ok("POST", f"{tables}/release")
    path = f"{restaurant.path}/guests/{guest['id']}"
    for target in ("waiting", "notified", "cancelled", "seated"):
        response = await restaurant.api.request("PATCH", path, json={"status": target})
        error = expect_error(response, 409, "invalid_transition")
        assert error["details"] == {"from": "completed", "to": target}


async def test_a_guest_is_deleted(restaurant: Restaurant) -> None:
    guest = await restaurant.guest("Mistake")
    path = f"{restaurant.path}/guests/{guest['id']}"
    response = await restaurant.client("host").request("DELETE", path)
    assert response.status_code == 204
    assert response.content == b""
    expect_error(await restaurant.api.request("GET", path), 404, "not_found")
    expect_error(await restaurant.api.request("DELETE", path), 404, "not_found")


async def test_a_seated_guest_cannot_be_deleted(restaurant: Restaurant) -> None:
    table = await restaurant.table("Seat")
    guest = await restaurant.guest("Eating")
    await restaurant.api.ok(
        "POST", f"{restaurant.path}/tables/{table['id']}/assign", json={"guest_id": guest["id"]}
    )
    path = f"{restaurant.path}/guests/{guest['id']}"
    error = expect_error(await restaurant.api.request("DELETE", path), 409, "guest_seated")
    assert error["details"]["id"] == guest["id"]
    assert (await restaurant.api.ok("GET", path))["status"] == "seated"


# A reservation's time and a walk-in's quote, each changed: history once the party has sat.
HISTORY_EDITS = ({"reserved_for": "2030-01-01T19:30:00Z"}, {"quoted_wait_minutes": 30})


async def _seat_a_reservation_and_a_walk_in(floor: Floor) -> list[tuple[Any, Any]]:
    """(table, guest) of a reservation for 19:00 and of a walk-in quoted 15 minutes, seated."""
    return [
        await seated_at(floor, "Booked", kind="reservation", reserved_for="2030-01-01T19:00:00Z"),
        await seated_at(floor, "Walked in", quoted_wait_minutes=15),
    ]


async def _history_refused(floor: Floor, guests: list[Any]) -> list[str]:
    """Each of HISTORY_EDITS on its guest: refused, nothing changed; the refusals' messages."""
    messages = []
    for guest, change in zip(guests, HISTORY_EDITS, strict=True):
        path = floor.guest_path(guest)
        before = await floor.api.ok("GET", path)
        refused = await floor.api.request("PATCH", path, json=change)
        error = expect_error(refused, 409, "guest_seated")
        assert error["details"] == before
        assert await floor.api.ok("GET", path) == before
        messages.append(error["message"])
    return messages


async def test_a_seated_partys_reservation_time_and_quote_are_history(
    restaurant: Restaurant,
) -> None:
    floor = Floor(restaurant)
    seated = await _seat_a_reservation_and_a_walk_in(floor)
    reservation = seated[0][1]

    assert all("is seated" in m for m in await _history_refused(floor, [g for _, g in seated]))
    # The value it has is no change: a client sending its whole form is not refused for it.
    same = await floor.api.ok(
        "PATCH", floor.guest_path(reservation), json={"reserved_for": "2030-01-01T19:00:00Z"}
    )
    assert same["reserved_for"] == "2030-01-01T19:00:00Z"


async def test_a_departed_partys_reservation_time_and_quote_stay_history(
    restaurant: Restaurant,
) -> None:
    floor = Floor(restaurant)
    seated = await _seat_a_reservation_and_a_walk_in(floor)
    for table, _ in seated:
        assert (await floor.release(table)).json()["guest"]["status"] == "completed"
    reservation = seated[0][1]

    assert all("was seated" in m for m in await _history_refused(floor, [g for _, g in seated]))
    # Its notes are not history: a host can still write down how the evening went.
    noted = await floor.api.ok(
        "PATCH", floor.guest_path(reservation), json={"notes": "birthday, came back for dessert"}
    )
    assert (noted["status"], noted["notes"]) == ("completed", "birthday, came back for dessert")


async def test_a_seated_partys_stay_can_still_be_changed(restaurant: Restaurant) -> None:
    floor = Floor(restaurant)
    _, reservation = await seated_at(
        floor, "Booked", kind="reservation", reserved_for="2030-01-01T19:00:00Z"
    )

    longer = await floor.api.ok(
        "PATCH", floor.guest_path(reservation), json={"duration_minutes": 150}
    )

    assert (longer["duration_minutes"], longer["reserved_until"]) == (150, "2030-01-01T21:30:00Z")
