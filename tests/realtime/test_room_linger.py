"""A room outlives its last device for `room_linger_seconds`: devices that come back together
find it open and caught up; a deleted restaurant's room goes at once."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from tests.auth.sockets import handshake_close_code
from tests.conftest import Api, Restaurant
from tests.realtime.conftest import Connect, metric
from tests.servers import ADMIN_TOKEN, ThreadServer
from tests.waiting import eventually


def _room(srv: ThreadServer, restaurant_id: str) -> object:
    async def room() -> object:
        return srv.runtime.hub.rooms.get(uuid.UUID(restaurant_id))

    return srv.call(room())


async def test_devices_coming_back_find_their_room_still_open_and_caught_up(
    start_server: Callable[..., ThreadServer], restaurant: Restaurant, connect: Connect
) -> None:
    srv = start_server(room_linger_seconds=60)
    first = await connect(restaurant, base_url=srv.base_url)
    room = _room(srv, restaurant.id)
    seen = first.hello["seq"]
    await first.close()

    async def gone() -> bool:
        return await metric(srv.base_url, "hoststand_connections_open") == 0

    await eventually(gone, "the device to leave")
    # Written through another instance: the empty room still follows the log.
    missed = [await restaurant.guest(f"Missed {i}") for i in range(2)]
    back = await connect(restaurant, base_url=srv.base_url, last_seq=seen)
    assert back.hello["resumed"] is True
    # Replayed, or sent live if the room hears of them later: in order either way.
    caught_up = await back.recv_many(2)
    assert [e["seq"] for e in caught_up] == [seen + 1, seen + 2]
    assert [e["guest_id"] for e in caught_up] == [g["id"] for g in missed]
    assert _room(srv, restaurant.id) is room
    assert await metric(srv.base_url, "hoststand_rooms_open") == 1
    await back.assert_quiet()


async def test_a_room_closes_once_its_linger_is_over(
    start_server: Callable[..., ThreadServer], restaurant: Restaurant, connect: Connect
) -> None:
    srv = start_server(room_linger_seconds=0.3)
    device = await connect(restaurant, base_url=srv.base_url)
    await device.close()

    async def closed() -> bool:
        return await metric(srv.base_url, "hoststand_rooms_open") == 0

    await eventually(closed, "the room to close after its linger")
    assert _room(srv, restaurant.id) is None


async def test_a_deleted_restaurants_lingering_room_closes_at_once_and_refuses_joiners(
    start_server: Callable[..., ThreadServer], api: Api, connect: Connect
) -> None:
    # A deletion made elsewhere, never published here, is seen by the log poll's full sweeps.
    srv = start_server(room_linger_seconds=60, log_sweep_interval_seconds=0.2)
    doomed = await api.restaurant("Closing down")
    device = await connect(doomed, base_url=srv.base_url)
    await device.close()
    await api.ok("DELETE", doomed.path, 204)  # through another instance, without a broker

    async def closed() -> bool:
        return await metric(srv.base_url, "hoststand_rooms_open") == 0

    await eventually(closed, "the deleted restaurant's room to close")
    assert await handshake_close_code(srv.base_url, doomed.id, ADMIN_TOKEN) == 4404
    assert await metric(srv.base_url, "hoststand_handshakes_total", 'outcome="not_found"') == 1
