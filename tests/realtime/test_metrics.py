"""GET /metrics counts what the realtime feed does."""

from __future__ import annotations

from collections.abc import Callable

from websockets.exceptions import ConnectionClosed

from hoststand.realtime.client import open_feed
from tests.conftest import Api
from tests.realtime.conftest import Connect, RawConnect, metric
from tests.servers import ThreadServer
from tests.waiting import eventually


async def test_metrics_count_connections_handshakes_events_and_messages(
    start_server: Callable[..., ThreadServer],
    api: Api,
    connect: Connect,
    connect_raw: RawConnect,
) -> None:
    srv = start_server()
    url = srv.base_url
    restaurant, other = await api.restaurant("Counted"), await api.restaurant("Other")
    devices = [await connect(restaurant, base_url=url) for _ in range(3)]
    assert await metric(url, "hoststand_connections_open") == 3
    assert await metric(url, "hoststand_rooms_open") == 1
    assert await metric(url, "hoststand_handshakes_total", 'outcome="ok"') == 3
    assert await metric(url, "hoststand_messages_sent_total", 'type="connection_established"') == 3

    writer = Api(url)
    for name in ("A", "B"):
        await writer.ok(
            "POST", f"{restaurant.path}/guests", 201, json={"name": name, "party_size": 2}
        )
    for device in devices:
        await device.recv_many(2)
    await writer.close()
    assert await metric(url, "hoststand_events_published_total", 'type="guest_updated"') == 2
    assert await metric(url, "hoststand_messages_sent_total", 'type="guest_updated"') == 6
    assert await metric(url, "hoststand_commit_to_send_seconds_count") == 2

    await devices[0].send({"type": "ping"})
    await devices[0].recv()
    await devices[0].send("not json")
    await devices[0].recv()
    assert await metric(url, "hoststand_messages_sent_total", 'type="pong"') == 1
    assert await metric(url, "hoststand_messages_sent_total", 'type="error"') == 1

    await _refused(url, restaurant.id, "not-a-token")
    await _refused(url, restaurant.id, other.tokens["host"])
    half = await connect_raw(url, restaurant.id, restaurant.tokens["host"])
    await half.close()

    async def counted() -> bool:
        return await metric(url, "hoststand_handshakes_total", 'outcome="disconnected"') == 1

    await eventually(counted, "the abandoned handshake to be counted")
    assert await metric(url, "hoststand_handshakes_total", 'outcome="unauthorized"') == 1
    assert await metric(url, "hoststand_handshakes_total", 'outcome="forbidden"') == 1

    for device in devices:
        await device.close()

    async def closed() -> bool:
        return (
            await metric(url, "hoststand_connections_open") == 0
            and await metric(url, "hoststand_rooms_open") == 0  # once the room's linger ends
        )

    await eventually(closed, "the gauges to drop to zero")


async def _refused(base_url: str, restaurant_id: str, token: str) -> None:
    try:
        ws, answer = await open_feed(base_url, restaurant_id, token)
    except ConnectionClosed:
        return
    await ws.close()
    raise AssertionError(f"the handshake should have been refused, got {answer}")
