"""A device connects, and sees a change made through the API."""

from __future__ import annotations

import asyncio

import orjson

from hoststand.realtime.client import open_feed
from tests.conftest import Restaurant


async def test_a_new_guest_reaches_a_connected_device(restaurant: Restaurant) -> None:
    ws, hello = await open_feed(restaurant.api.base_url, restaurant.id, restaurant.tokens["viewer"])
    async with ws:
        assert hello["type"] == "connection_established"
        guest = await restaurant.guest("Okafor", party_size=4)
        event = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
        assert event["type"] == "guest_updated"
        assert event["guest_id"] == guest["id"]
        assert event["action"] == "created"
        assert event["seq"] == hello["seq"] + 1
