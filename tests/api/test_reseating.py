"""Reseat: a release tapped by mistake is undone, the party back at its table, its turn going on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from tests.api.checks import assert_wire_timestamps, expect_error
from tests.api.test_moving import seated_at
from tests.api.test_seating import UNKNOWN, Floor
from tests.conflicts.conftest import all_events
from tests.conflicts.test_reservation_overlap import stamp
from tests.conftest import Api, Restaurant
from tests.servers import ThreadServer
from tests.waiting import eventually


async def reseat(floor: Floor, table: dict[str, Any], guest: dict[str, Any], **headers: str) -> Any:
    """POST .../reseat, as a host."""
    return await floor.api.request(
        "POST",
        f"{floor.table_path(table)}/reseat",
        json={"guest_id": guest["id"]},
        headers=headers or None,
    )


async def released_from(floor: Floor, label: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    """A party seated at a new table and released from it a second later.

    The table and guest as the release left them, and the guest's seated_at.
    """
    table, guest = await seated_at(floor, label)
    # Timestamps are whole seconds: a release in the seating's second could not show
    # seated_at kept apart from a new seating.
    await eventually(lambda: stamp(datetime.now(UTC)) > guest["seated_at"], "the next second")
    released = (await floor.release(table)).json()
    return released["table"], released["guest"], guest["seated_at"]


async def clean(floor: Floor, table: dict[str, Any]) -> dict[str, Any]:
    """The table bussed: available again."""
    body = {"status": "available"}
    return await floor.api.ok("PATCH", floor.table_path(table), json=body)  # type: ignore[no-any-return]


async def test_a_released_party_sits_again_with_its_first_seated_time(
    restaurant: Restaurant,
) -> None:
    floor = Floor(restaurant)
    table, guest, seated_at_first = await released_from(floor, "Mistaken")
    assert (guest["status"], table["status"]) == ("completed", "dirty")
    before = len(await all_events(restaurant))

    response = await reseat(floor, table, guest, **{"If-Match": f'"{table["version"]}"'})

    assert response.status_code == 200, response.text
    back = response.json()
    assert set(back) == {"table", "guest"}
    assert back["table"]["status"] == "occupied"
    assert back["table"]["current_guest_id"] == guest["id"]
    assert back["table"]["version"] == table["version"] + 1
    assert back["guest"]["status"] == "seated"
    assert back["guest"]["table_id"] == table["id"]
    assert back["guest"]["seated_at"] == seated_at_first  # turn time goes on
    assert back["guest"]["completed_at"] is None
    assert back["guest"]["version"] == guest["version"] + 1
    assert response.headers["etag"] == f'"{back["table"]["version"]}"'
    assert_wire_timestamps(back, at_least=6)
    assert await floor.state(table, guest) == (back["table"], back["guest"])
    events = (await all_events(restaurant))[before:]
    assert [(e["type"], e["action"]) for e in events] == [
        ("table_updated", "assigned"),
        ("guest_updated", "status_changed"),
    ]
    assert [e["data"] for e in events] == [back["table"], back["guest"]]
    assert len({e["timestamp"] for e in events}) == 1  # one commit


async def test_a_reseated_party_is_released_and_reseated_again(restaurant: Restaurant) -> None:
    floor = Floor(restaurant)
    table, guest, _ = await released_from(floor, "Twice")
    cleaned = await clean(floor, table)  # bussed in the meantime: still free
    assert (await reseat(floor, cleaned, guest)).status_code == 200
    again = (await floor.release(table)).json()
    response = await reseat(floor, again["table"], guest)
    assert response.status_code == 200, response.text
    assert response.json()["guest"]["status"] == "seated"


async def test_only_the_party_last_released_from_this_table_sits_again(
    restaurant: Restaurant,
) -> None:
    floor = Floor(restaurant)
    table, first, _ = await released_from(floor, "Shared")
    elsewhere = await restaurant.table("Elsewhere")
    refused = await reseat(floor, elsewhere, first)
    assert (
        "not the last party released" in expect_error(refused, 409, "invalid_transition")["message"]
    )
    await clean(floor, table)
    second = await restaurant.guest("Second")
    await floor.assign(table, second)
    released = (await floor.release(table)).json()
    refused = await reseat(floor, released["table"], first)
    expect_error(refused, 409, "invalid_transition")
    waiting = await restaurant.guest("Waiting")
    refused = await reseat(floor, released["table"], waiting)
    error = expect_error(refused, 409, "invalid_transition")
    assert error["details"] == {"from": "waiting", "to": "seated"}
    assert (await floor.state(released["table"], first))[0] == released["table"]
    assert (await reseat(floor, released["table"], second)).status_code == 200


async def test_a_party_moved_away_is_not_reseated_at_the_table_it_left(
    restaurant: Restaurant,
) -> None:
    floor = Floor(restaurant)
    table, guest = await seated_at(floor, "Left")
    to = await restaurant.table("Right")
    moved = (await floor.move(table, to)).json()
    await floor.release(to)
    refused = await reseat(floor, moved["from_table"], guest)
    expect_error(refused, 409, "invalid_transition")
    assert (await reseat(floor, moved["table"], guest)).status_code == 200


async def test_a_table_taken_or_put_aside_since_is_not_available(restaurant: Restaurant) -> None:
    floor = Floor(restaurant)
    table, guest, _ = await released_from(floor, "Taken")
    await clean(floor, table)
    await floor.assign(table, await restaurant.guest("Next party"))
    expect_error(await reseat(floor, table, guest), 409, "table_not_available")

    aside, put_aside, _ = await released_from(floor, "Aside")
    body = {"status": "out_of_service"}
    aside = await floor.api.ok("PATCH", floor.table_path(aside), json=body)
    error = expect_error(await reseat(floor, aside, put_aside), 409, "table_not_available")
    assert error["details"] == aside
    assert (await floor.state(aside, put_aside))[1]["status"] == "completed"


async def test_a_release_older_than_the_window_is_not_undone(start_server: Any) -> None:
    server = start_server(reseat_window_minutes=0)
    admin = Api(server.base_url)
    try:
        floor = Floor(await admin.restaurant("Strict Window"))
        table, guest, _ = await released_from(floor, "Late")
        left = guest["completed_at"]
        await eventually(lambda: stamp(datetime.now(UTC)) > left, "the next second")
        error = expect_error(await reseat(floor, table, guest), 409, "invalid_transition")
        assert "more than 0 minutes ago" in error["message"]
        await floor.api.close()
    finally:
        await admin.close()


async def test_a_stale_if_match_a_viewer_and_a_foreign_id_are_refused(
    api: Api, restaurant: Restaurant
) -> None:
    floor = Floor(restaurant)
    table, guest, _ = await released_from(floor, "Guarded")
    stale = await reseat(floor, table, guest, **{"If-Match": f'"{table["version"] - 1}"'})
    assert expect_error(stale, 412, "version_conflict")["details"] == table
    viewer = restaurant.client("viewer")
    watched = await viewer.request(
        "POST", f"{floor.table_path(table)}/reseat", json={"guest_id": guest["id"]}
    )
    assert expect_error(watched, 403, "forbidden")["details"]["permission"] == "seat"
    other = await api.restaurant("Elsewhere")
    foreign_table, foreign_guest, _ = await released_from(Floor(other), "Theirs")
    for response, kind, ident in [
        (await reseat(floor, foreign_table, guest), "table", foreign_table["id"]),
        (await reseat(floor, {"id": UNKNOWN}, guest), "table", UNKNOWN),
        (await reseat(floor, table, foreign_guest), "guest", foreign_guest["id"]),
    ]:
        assert expect_error(response, 404, "not_found")["details"] == {"kind": kind, "id": ident}
    assert await floor.state(table, guest) == (table, guest)
    theirs = Floor(other)
    assert await theirs.state(foreign_table, foreign_guest) == (foreign_table, foreign_guest)
    await viewer.close()


async def test_a_retried_reseat_replays_the_first_answer(restaurant: Restaurant) -> None:
    floor = Floor(restaurant)
    table, guest, _ = await released_from(floor, "Retried")
    keyed = {"Idempotency-Key": "reseat-1"}
    first = await reseat(floor, table, guest, **keyed)
    retry = await reseat(floor, table, guest, **keyed)
    assert first.status_code == 200, first.text
    assert (retry.status_code, retry.json()) == (200, first.json())
    assert retry.headers["Idempotent-Replayed"] == "true"
    expect_error(await reseat(floor, table, guest), 409, "table_not_available")


async def test_a_release_whose_events_were_pruned_is_not_undone(
    start_server: Callable[..., ThreadServer],
) -> None:
    # Keep events for half a second, prune five times a second: the window (15 min) is not
    # what refuses, the log's memory of the release is.
    srv = start_server(event_retention_days=0.5 / 86400, prune_interval_seconds=0.2)
    admin = Api(srv.base_url)
    try:
        restaurant = await admin.restaurant("Forgetful")
        floor = Floor(restaurant)
        table, guest = await seated_at(floor, "Pruned")
        released = (await floor.release(table)).json()
        # The release's two events are the last: once the one before them is pruned, so are they.
        before_release = (await restaurant.snapshot())["seq"] - 2

        async def pruned() -> bool:
            params = {"after": before_release}
            response = await admin.request("GET", f"{restaurant.path}/events", params=params)
            return response.status_code == 410

        await eventually(pruned, "the release's events to be pruned", timeout=10)
        refused = await reseat(floor, released["table"], released["guest"])
        expect_error(refused, 409, "invalid_transition")
        assert (await floor.state(table, guest))[1]["status"] == "completed"
        await floor.api.close()
    finally:
        await admin.close()
