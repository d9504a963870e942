"""Several `hoststand serve` processes on one PostgreSQL and one Redis keep every promise."""

from __future__ import annotations

import asyncio
import random
import uuid
from typing import Any

import orjson
import redis.asyncio

from hoststand.bus import Envelope
from hoststand.bus.redis import channel_name
from hoststand.realtime.client import open_feed
from tests.conftest import Api, Restaurant
from tests.scaleout.conftest import Clients, Launch
from tests.scaleout.devices import Device, stop_all

RESTAURANTS = 3
DEVICES_PER_INSTANCE = 2
WRITERS_PER_RESTAURANT = 3
CHANGES_PER_WRITER = 12
DELIVERY_TIMEOUT = 30.0


async def log_messages(api: Api, restaurant: Restaurant) -> list[str]:
    """Every event of the restaurant as the log keeps it (GET .../events), in order."""
    body = await api.ok("GET", f"{restaurant.path}/events", params={"after": 0, "limit": 1000})
    return [orjson.dumps(event).decode() for event in body["events"]]


async def write_changes(
    apis: list[Api], restaurant: Restaurant, rng: random.Random, count: int
) -> tuple[int, set[str]]:
    """Make `count` changes through random instances; return the events made and where."""
    hosts = [api.as_token(restaurant.tokens["host"]) for api in apis]
    events, used = 0, set()
    guest: dict[str, Any] | None = None
    try:
        for n in range(count):
            host = rng.choice(hosts)
            used.add(host.base_url)
            if guest is None or n % 3 == 0:
                body = {"name": f"G{n}", "party_size": 2}
                guest = await host.ok("POST", f"{restaurant.path}/guests", 201, json=body)
            else:
                path = f"{restaurant.path}/guests/{guest['id']}"
                await host.ok("PATCH", path, json={"notes": f"note {n}"})
            events += 1
    finally:
        for host in hosts:
            await host.close()
    return events, used


async def test_devices_on_three_instances_get_every_event_in_order_whoever_writes(
    launch: Launch, redis_url: str, clients: Clients
) -> None:
    instances = [launch(redis_url) for _ in range(3)]
    urls = [server.base_url for server in instances]
    apis = [clients(server) for server in instances]
    restaurants = [await apis[n % 3].restaurant(f"Bistro {n}") for n in range(RESTAURANTS)]
    devices: dict[str, list[Device]] = {}
    for restaurant in restaurants:
        # Each device starts on a different instance (urls rotated): all three hold devices.
        devices[restaurant.id] = [
            Device(urls[i % 3 :] + urls[: i % 3], restaurant.id, restaurant.tokens["viewer"])
            for i in range(3 * DEVICES_PER_INSTANCE)
        ]
    everyone = [d.start() for group in devices.values() for d in group]
    try:
        await asyncio.gather(*(d.wait_connected(timeout=DELIVERY_TIMEOUT) for d in everyone))
        before = {r.id: (await r.snapshot())["seq"] for r in restaurants}
        rng = random.Random(6)
        results = await asyncio.gather(
            *(
                write_changes(apis, r, random.Random(rng.random()), CHANGES_PER_WRITER)
                for r in restaurants
                for _ in range(WRITERS_PER_RESTAURANT)
            )
        )
        assert set().union(*(used for _, used in results)) == set(urls)

        for restaurant in restaurants:
            last = (await restaurant.snapshot())["seq"]
            made = WRITERS_PER_RESTAURANT * CHANGES_PER_WRITER
            assert last == before[restaurant.id] + made
            group = devices[restaurant.id]
            assert {d.established[0] for d in group} == set(urls)
            await asyncio.gather(*(d.wait_for_seq(last, DELIVERY_TIMEOUT) for d in group))
            logged = await log_messages(apis[0], restaurant)
            for device in group:
                assert device.seqs == list(range(1, last + 1))
                assert [orjson.loads(m) for m in device.messages] == [
                    orjson.loads(m) for m in logged
                ]
    finally:
        await stop_all(everyone)


async def test_an_event_crosses_instances_through_redis_without_the_log_poller(
    launch: Launch, redis_url: str, clients: Clients
) -> None:
    # With the poller effectively off, only the broker can carry the event to the other instance.
    quiet = {"log_poll_interval_seconds": "3600"}
    writer_side, device_side = launch(redis_url, **quiet), launch(redis_url, **quiet)
    restaurant = await clients(writer_side).restaurant()
    device = Device([device_side.base_url], restaurant.id, restaurant.tokens["viewer"]).start()
    try:
        await device.wait_connected()
        current = (await restaurant.snapshot())["seq"]
        await device.wait_for_seq(current)
        guest = await restaurant.guest("Across")
        await device.wait_for_seq(current + 1)
        assert orjson.loads(device.messages[-1])["guest_id"] == guest["id"]
    finally:
        await device.stop()


async def test_an_event_redis_carries_twice_or_out_of_order_reaches_devices_once_in_order(
    launch: Launch, redis_url: str, clients: Clients
) -> None:
    # What Redis may do (a PUBLISH retried after a dropped reply, publishers racing): the
    # test publishes the very envelopes again, on the restaurant's channel, older ones last.
    instance = launch(redis_url, log_poll_interval_seconds="3600")
    restaurant = await clients(instance).restaurant()
    device = Device([instance.base_url], restaurant.id, restaurant.tokens["viewer"]).start()
    publisher = redis.asyncio.Redis.from_url(redis_url)
    try:
        await device.wait_connected()
        for i in range(3):
            await restaurant.guest(f"Guest {i}")
        current = (await restaurant.snapshot())["seq"]
        await device.wait_for_seq(current)
        logged = (await restaurant.api.ok("GET", f"{restaurant.path}/events"))["events"]
        for event in reversed(logged[-3:]):
            envelope = Envelope(
                uuid.UUID(restaurant.id), event["seq"], event["type"], orjson.dumps(event).decode()
            )
            await publisher.publish(channel_name(envelope.restaurant_id), envelope.encode())
        after = await restaurant.guest("After")
        await device.wait_for_seq(current + 1)  # raises if a duplicate came before it
        assert device.seqs == list(range(1, current + 2))
        assert orjson.loads(device.messages[-1])["guest_id"] == after["id"]
    finally:
        await publisher.aclose()
        await device.stop()


async def test_a_user_action_reaches_the_restaurants_devices_on_every_instance_as_written(
    launch: Launch, redis_url: str, clients: Clients
) -> None:
    first, second = launch(redis_url), launch(redis_url)
    restaurant = await clients(first).restaurant("Relay")
    token = restaurant.tokens["host"]
    sender, hello = await open_feed(first.base_url, restaurant.id, token)
    near, _ = await open_feed(first.base_url, restaurant.id, token)
    far, _ = await open_feed(second.base_url, restaurant.id, token)
    try:
        await sender.send(
            '{"type":"user_action","action":"réservé ✓","guest_id":"g-1",'
            '"timestamp":"2025-09-01T10:00:00Z"}'
        )
        expected = (
            '{"type":"user_action","action":"réservé ✓",'
            f'"restaurant_id":"{restaurant.id}","timestamp":"2025-09-01T10:00:00Z",'
            f'"sender":"{hello["connection_id"]}","guest_id":"g-1"}}'
        )
        for device in (near, far):
            assert await asyncio.wait_for(device.recv(), DELIVERY_TIMEOUT) == expected
    finally:
        for ws in (sender, near, far):
            await ws.close()
