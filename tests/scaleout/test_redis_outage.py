"""Redis goes away and comes back: writes go on, devices keep receiving, nothing is missed."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.conftest import Api, Restaurant
from tests.scaleout.conftest import Clients, Launch
from tests.scaleout.devices import Device, stop_all
from tests.scaleout.redis_server import RedisServer
from tests.servers import ProcessServer
from tests.waiting import eventually

STATE_TIMEOUT = 15.0
DELIVERY_TIMEOUT = 10.0
CHANGES_PER_PHASE = 5


async def readiness(api: Api) -> dict[str, Any]:
    """The body of /readyz (it answers 200 when ok or degraded)."""
    response = await api.request("GET", "/readyz")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def all_ready_as(apis: list[Api], status: str) -> bool:
    """True when every instance reports `status` on /readyz."""
    bodies = [await readiness(api) for api in apis]
    return all(body["status"] == status for body in bodies)


async def write_and_deliver(
    apis: list[Api], restaurants: list[Restaurant], devices: list[Device], phase: str
) -> None:
    """Change every restaurant through alternating instances; wait until every device has it."""
    for n in range(CHANGES_PER_PHASE):
        for restaurant in restaurants:
            host = apis[n % len(apis)].as_token(restaurant.tokens["host"])
            try:
                body = {"name": f"{phase} {n}", "party_size": 2}
                await host.ok("POST", f"{restaurant.path}/guests", 201, json=body)
            finally:
                await host.close()
    for restaurant in restaurants:
        last = (await restaurant.snapshot())["seq"]
        mine = [d for d in devices if d.restaurant_id == restaurant.id]
        await asyncio.gather(*(d.wait_for_seq(last, DELIVERY_TIMEOUT) for d in mine))


async def test_devices_miss_nothing_while_redis_is_down_and_after_it_returns(
    launch: Launch, own_redis: RedisServer, clients: Clients
) -> None:
    instances: list[ProcessServer] = [launch(own_redis.url) for _ in range(2)]
    apis = [clients(server) for server in instances]
    restaurants = [await apis[n].restaurant(f"Outage {n}") for n in range(2)]
    devices = [
        Device([server.base_url], r.id, r.tokens["viewer"]).start()
        for r in restaurants
        for server in instances
    ]
    channels = [f"hoststand:r:{r.id}".encode() for r in restaurants]
    try:
        await asyncio.gather(*(d.wait_connected() for d in devices))
        assert await all_ready_as(apis, "ok")
        await write_and_deliver(apis, restaurants, devices, "before")

        own_redis.stop()
        await eventually(lambda: all_ready_as(apis, "degraded"), "degraded", timeout=STATE_TIMEOUT)
        body = await readiness(apis[0])
        assert body["checks"]["database"] == "ok"
        assert body["checks"]["broker"].startswith("unreachable")
        await write_and_deliver(apis, restaurants, devices, "during")

        own_redis.start()
        await eventually(lambda: all_ready_as(apis, "ok"), "ready again", timeout=STATE_TIMEOUT)
        client = own_redis.client()
        try:
            # Both instances subscribed their restaurants again on the new server.
            assert dict(client.pubsub_numsub(*channels)) == dict.fromkeys(channels, 2)
        finally:
            client.close()
        await write_and_deliver(apis, restaurants, devices, "after")

        for restaurant in restaurants:
            last = (await restaurant.snapshot())["seq"]
            for device in (d for d in devices if d.restaurant_id == restaurant.id):
                assert device.seqs == list(range(1, last + 1))
                assert len(device.established) == 1  # the sockets stayed up throughout
    finally:
        await stop_all(devices)


async def test_deleting_a_restaurant_while_redis_is_down_succeeds_and_closes_its_devices(
    launch: Launch, own_redis: RedisServer, clients: Clients
) -> None:
    instance = launch(own_redis.url, log_sweep_interval_seconds="1")
    admin = clients(instance)
    restaurant = await admin.restaurant("Closing down")
    device = Device([instance.base_url], restaurant.id, restaurant.tokens["viewer"]).start()
    try:
        await device.wait_connected()
        own_redis.stop()
        await eventually(
            lambda: all_ready_as([admin], "degraded"), "degraded", timeout=STATE_TIMEOUT
        )

        # Committed: the database is the truth, whether or not Redis hears of it.
        response = await admin.request("DELETE", restaurant.path)
        assert response.status_code == 204, response.text
        await admin.ok("GET", restaurant.path, 404)
        # The poller's sweep finds it gone and closes its devices with 4404.
        await eventually(lambda: 4404 in device.close_codes, "a 4404", timeout=STATE_TIMEOUT)
    finally:
        await device.stop()
