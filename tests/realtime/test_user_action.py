"""user_action: validated, stamped, relayed to the restaurant's other devices, never stored."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from tests.conftest import Api, Restaurant
from tests.realtime.conftest import TIMEOUT, WIRE_TIMESTAMP, Connect
from tests.servers import ThreadServer


async def test_a_user_action_reaches_the_other_devices_and_not_the_sender(
    api: Api, restaurant: Restaurant, connect: Connect
) -> None:
    sender, first, second = [await connect(restaurant) for _ in range(3)]
    other = await api.restaurant("Next door")
    outsider = await connect(other)
    await sender.send(
        {"type": "user_action", "action": "guest_selected", "guest_id": "g-1", "table_id": "t-9"}
    )
    for device in (first, second):
        relayed = await device.recv()
        assert relayed["type"] == "user_action"
        assert relayed["action"] == "guest_selected"
        assert (relayed["guest_id"], relayed["table_id"]) == ("g-1", "t-9")
        assert relayed["restaurant_id"] == restaurant.id
        assert relayed["sender"] == sender.hello["connection_id"]
        assert WIRE_TIMESTAMP.match(relayed["timestamp"])
        assert "seq" not in relayed
    # The relay reached the others, so an echo would already be queued before this pong.
    await sender.assert_quiet()
    await outsider.assert_quiet()


async def test_a_user_action_is_not_stored(restaurant: Restaurant, connect: Connect) -> None:
    sender, other = await connect(restaurant), await connect(restaurant)
    await sender.send({"type": "user_action", "action": "typing"})
    await other.recv()
    assert (await restaurant.snapshot())["seq"] == sender.hello["seq"]
    page = await restaurant.api.ok("GET", f"{restaurant.path}/events?after=0")
    assert all(e["type"] != "user_action" for e in page["events"])


async def test_a_client_timestamp_is_kept_in_the_seed_format(
    restaurant: Restaurant, connect: Connect
) -> None:
    sender, other = await connect(restaurant), await connect(restaurant)
    await sender.send({"type": "user_action", "action": "a", "timestamp": "2025-09-01T10:00:00Z"})
    assert (await other.recv())["timestamp"] == "2025-09-01T10:00:00Z"
    # Fractional seconds and offsets are rewritten: the seed's format, exactly, everywhere.
    await sender.send(
        {"type": "user_action", "action": "b", "timestamp": "2025-09-01T12:00:00.250+02:00"}
    )
    assert (await other.recv())["timestamp"] == "2025-09-01T10:00:00Z"
    await sender.send({"type": "user_action", "action": "c", "timestamp": "yesterday"})
    refused = await sender.recv()
    assert (refused["type"], refused["code"]) == ("error", "validation_error")
    await other.assert_quiet()


async def test_a_user_action_for_another_restaurant_is_refused(
    api: Api, restaurant: Restaurant, connect: Connect
) -> None:
    other = await api.restaurant("Across the street")
    sender, mate = await connect(restaurant), await connect(restaurant)
    outsider = await connect(other)
    await sender.send({"type": "user_action", "action": "x", "restaurant_id": other.id})
    refused = await sender.recv()
    assert (refused["type"], refused["code"]) == ("error", "restaurant_mismatch")
    assert WIRE_TIMESTAMP.match(refused["timestamp"])
    await outsider.assert_quiet()
    await mate.assert_quiet()
    # Its own id, in upper case, is its own restaurant.
    await sender.send(
        {"type": "user_action", "action": "y", "restaurant_id": restaurant.id.upper()}
    )
    assert (await mate.recv())["action"] == "y"


async def test_a_viewer_may_not_send_user_actions(restaurant: Restaurant, connect: Connect) -> None:
    viewer, host = await connect(restaurant, "viewer"), await connect(restaurant)
    await viewer.send({"type": "user_action", "action": "x"})
    refused = await viewer.recv()
    assert (refused["type"], refused["code"]) == ("error", "forbidden")
    await host.assert_quiet()


async def test_user_actions_over_the_rate_limit_get_rate_limited(
    start_server: Callable[..., ThreadServer], api: Api, connect: Connect
) -> None:
    srv = start_server(user_action_burst=2, user_action_rate=0.001)
    restaurant = await api.restaurant("Busy")
    sender = await connect(restaurant, base_url=srv.base_url)
    other = await connect(restaurant, base_url=srv.base_url)
    for action in ("one", "two", "three"):
        await sender.send({"type": "user_action", "action": action})
    refused = await sender.recv()
    assert (refused["type"], refused["code"]) == ("error", "rate_limited")
    assert [(await other.recv())["action"] for _ in range(2)] == ["one", "two"]
    await other.assert_quiet()
    await sender.assert_quiet()  # still connected, still answered


async def test_a_relayed_user_action_is_written_to_every_device_byte_for_byte_the_same(
    start_server: Callable[..., ThreadServer], restaurant: Restaurant, connect: Connect
) -> None:
    # The text pins the frame: a server's text frame is its UTF-8 behind a header that only
    # its length decides. Non-ASCII, so that a lost or doubled encoding would show.
    srv = start_server(ws_compression=True)
    sender = await connect(restaurant, base_url=srv.base_url)
    deflated = await connect(restaurant, base_url=srv.base_url, compression="deflate")
    plain = await connect(restaurant, base_url=srv.base_url, compression=None)
    await sender.send(
        '{"table_id":"t-9","type":"user_action","action":"réservé ✓ 🍽","guest_id":"g-1",'
        '"timestamp":"2025-09-01T10:00:00Z","extra":[1,2]}'
    )
    expected = (
        '{"type":"user_action","action":"réservé ✓ 🍽",'
        f'"restaurant_id":"{restaurant.id}","timestamp":"2025-09-01T10:00:00Z",'
        f'"sender":"{sender.hello["connection_id"]}","guest_id":"g-1","table_id":"t-9"}}'
    )
    for device in (deflated, plain):
        assert await asyncio.wait_for(device.ws.recv(), TIMEOUT) == expected
