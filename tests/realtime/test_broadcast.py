"""Every committed change reaches every device of its restaurant, and no other restaurant's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import Api, Restaurant
from tests.realtime.conftest import WIRE_TIMESTAMP, Connect, Device


async def expect_events(device: Device, *expected: tuple[str, str]) -> list[dict[str, Any]]:
    """The next events are exactly `expected` (type, action), in consecutive seqs, then none."""
    events = await device.recv_many(len(expected))
    assert [(e["type"], e["action"]) for e in events] == list(expected), events
    seqs = [e["seq"] for e in events]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    for event in events:
        assert WIRE_TIMESTAMP.match(event["timestamp"])
    await device.assert_quiet()
    return events


async def test_a_change_reaches_every_device_of_the_restaurant_and_none_of_another(
    api: Api, restaurant: Restaurant, connect: Connect
) -> None:
    other = await api.restaurant("Elsewhere")
    devices = [await connect(restaurant, role) for role in ("owner", "host", "viewer", "host")]
    outsider = await connect(other)
    guest = await restaurant.guest("Nakamura", party_size=3)
    for device in devices:
        event = await device.recv()
        assert (event["type"], event["guest_id"]) == ("guest_updated", guest["id"])
        assert event["restaurant_id"] == restaurant.id
        assert event["seq"] == device.hello["seq"] + 1
    await outsider.assert_quiet()
    theirs = await other.guest("Lindqvist")
    assert (await outsider.recv())["guest_id"] == theirs["id"]
    for device in devices:
        await device.assert_quiet()


async def test_guest_changes_emit_created_updated_status_changed_and_deleted(
    restaurant: Restaurant, connect: Connect
) -> None:
    device = await connect(restaurant, "viewer")
    host = restaurant.client("host")
    created = await restaurant.guest("Okafor", party_size=4)
    [event] = await expect_events(device, ("guest_updated", "created"))
    assert event["guest_id"] == created["id"]
    assert event["data"] == created
    path = f"{restaurant.path}/guests/{created['id']}"
    renamed = await host.ok("PATCH", path, json={"name": "Okafor-Diallo"})
    [event] = await expect_events(device, ("guest_updated", "updated"))
    assert event["data"] == renamed
    notified = await host.ok("PATCH", path, json={"status": "notified"})
    [event] = await expect_events(device, ("guest_updated", "status_changed"))
    assert event["data"] == notified
    await host.ok("DELETE", path, 204)
    [event] = await expect_events(device, ("guest_updated", "deleted"))
    assert event["guest_id"] == created["id"]
    assert event["data"] is None


async def test_table_changes_emit_created_updated_status_changed_and_deleted(
    restaurant: Restaurant, connect: Connect
) -> None:
    device = await connect(restaurant, "viewer")
    owner = restaurant.client("owner")
    created = await restaurant.table("21", capacity=2)
    [event] = await expect_events(device, ("table_updated", "created"))
    assert (event["table_id"], event["data"]) == (created["id"], created)
    path = f"{restaurant.path}/tables/{created['id']}"
    resized = await owner.ok("PATCH", path, json={"capacity": 6, "section": "patio"})
    [event] = await expect_events(device, ("table_updated", "updated"))
    assert event["data"] == resized
    closed = await restaurant.client("host").ok("PATCH", path, json={"status": "out_of_service"})
    [event] = await expect_events(device, ("table_updated", "status_changed"))
    assert event["data"] == closed
    await owner.ok("DELETE", path, 204)
    [event] = await expect_events(device, ("table_updated", "deleted"))
    assert (event["table_id"], event["data"]) == (created["id"], None)


async def test_assign_and_release_each_emit_a_table_and_a_guest_event(
    restaurant: Restaurant, connect: Connect
) -> None:
    table = await restaurant.table("5", capacity=4)
    guest = await restaurant.guest("Haddad", party_size=2)
    device = await connect(restaurant)
    host = restaurant.client("host")
    seated = await host.ok(
        "POST", f"{restaurant.path}/tables/{table['id']}/assign", json={"guest_id": guest["id"]}
    )
    table_event, guest_event = await expect_events(
        device, ("table_updated", "assigned"), ("guest_updated", "status_changed")
    )
    assert (table_event["table_id"], table_event["data"]) == (table["id"], seated["table"])
    assert (guest_event["guest_id"], guest_event["data"]) == (guest["id"], seated["guest"])
    assert table_event["actor"]["role"] == "host"
    released = await host.ok("POST", f"{restaurant.path}/tables/{table['id']}/release")
    table_event, guest_event = await expect_events(
        device, ("table_updated", "released"), ("guest_updated", "status_changed")
    )
    assert table_event["data"] == released["table"]
    assert guest_event["data"] == released["guest"]
    assert guest_event["data"]["status"] == "completed"


async def test_deleting_a_held_table_updates_the_reservation_then_deletes_the_table(
    restaurant: Restaurant, connect: Connect
) -> None:
    table = await restaurant.table("9", capacity=4)
    later = (datetime.now(UTC) + timedelta(hours=3)).isoformat()
    booked = await restaurant.guest(
        "Moreau", kind="reservation", reserved_for=later, held_table_id=table["id"]
    )
    device = await connect(restaurant)
    await restaurant.client("owner").ok("DELETE", f"{restaurant.path}/tables/{table['id']}", 204)
    guest_event, table_event = await expect_events(
        device, ("guest_updated", "updated"), ("table_updated", "deleted")
    )
    assert guest_event["guest_id"] == booked["id"]
    assert guest_event["data"]["held_table_id"] is None
    assert table_event["data"] is None


async def test_a_restaurant_change_emits_data_change(
    restaurant: Restaurant, connect: Connect
) -> None:
    device = await connect(restaurant, "viewer")
    changed = await restaurant.client("owner").ok(
        "PATCH", restaurant.path, json={"name": "Chez Test", "timezone": "Europe/Paris"}
    )
    [event] = await expect_events(device, ("data_change", "updated"))
    assert event["scope"] == "restaurant"
    assert event["data"] == changed


async def test_a_refused_change_emits_nothing(restaurant: Restaurant, connect: Connect) -> None:
    table = await restaurant.table("2", capacity=2)
    guest = await restaurant.guest("Large party", party_size=8)
    device = await connect(restaurant)
    response = await restaurant.client("host").request(
        "POST", f"{restaurant.path}/tables/{table['id']}/assign", json={"guest_id": guest["id"]}
    )
    assert response.status_code == 409
    await device.assert_quiet()
    assert (await restaurant.snapshot())["seq"] == device.hello["seq"]
