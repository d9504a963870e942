"""An instance listens to a restaurant's channel only while one of its devices is connected,
and for the room's linger after the last one left."""

from __future__ import annotations

import asyncio
import re

from tests.scaleout.conftest import Clients, Launch
from tests.scaleout.devices import Device
from tests.scaleout.redis_server import RedisServer
from tests.waiting import eventually


async def test_an_instance_subscribes_a_restaurant_only_while_it_has_its_devices(
    launch: Launch, own_redis: RedisServer, clients: Clients
) -> None:
    instance = launch(own_redis.url, room_linger_seconds="0.5")
    admin = clients(instance)
    restaurant = await admin.restaurant()
    channel = f"hoststand:r:{restaurant.id}".encode()
    redis_client = own_redis.client()

    def subscribers() -> int:
        return int(dict(redis_client.pubsub_numsub(channel))[channel])

    async def one_device_left() -> bool:
        text = (await admin.request("GET", "/metrics")).text
        found = re.search(r"^hoststand_connections_open (\S+)$", text, re.MULTILINE)
        assert found is not None
        return float(found.group(1)) == 1

    try:
        assert subscribers() == 0
        first = Device([instance.base_url], restaurant.id, restaurant.tokens["viewer"]).start()
        second = Device([instance.base_url], restaurant.id, restaurant.tokens["host"]).start()
        await asyncio.gather(first.wait_connected(), second.wait_connected())
        assert subscribers() == 1  # one subscription per instance, not one per device

        await first.stop()
        await eventually(one_device_left, "the server to see the first device go", timeout=10.0)
        assert subscribers() == 1  # another device of the restaurant is still here

        await second.stop()
        await eventually(
            lambda: subscribers() == 0,
            "the last one's leaving to unsubscribe, after 0.5 s",
            timeout=10.0,
        )
    finally:
        redis_client.close()
