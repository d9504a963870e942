"""What only the Redis broker does: fan-out between instances, and surviving Redis outages."""

from __future__ import annotations

import signal
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.exceptions import RedisError

from hoststand.bus.redis import RedisBroker, RedisUnavailable, channel_name
from tests.scaleout.redis_server import RedisServer
from tests.scaleout.test_broker import Inbox
from tests.waiting import eventually

OUTAGE_TIMEOUT = 15.0


@pytest.fixture
async def brokers() -> AsyncIterator[list[RedisBroker]]:
    """Brokers the test makes; closed at the end."""
    made: list[RedisBroker] = []
    yield made
    for broker in made:
        await broker.close()


async def started(brokers: list[RedisBroker], url: str, inbox: Inbox | None = None) -> RedisBroker:
    """A started RedisBroker on `url`, closed at the end of the test."""
    broker = RedisBroker(url)
    brokers.append(broker)
    await broker.start(inbox or Inbox())
    return broker


async def test_every_instance_subscribed_to_a_restaurant_gets_its_payloads(
    redis_url: str, brokers: list[RedisBroker]
) -> None:
    inboxes = [Inbox() for _ in range(3)]
    first, second, bystander = [await started(brokers, redis_url, i) for i in inboxes]
    restaurant = uuid.uuid4()
    await first.subscribe(restaurant)
    await second.subscribe(restaurant)
    await bystander.subscribe(uuid.uuid4())
    await bystander.publish(restaurant, b"seated")
    assert await inboxes[0].next() == b"seated"
    assert await inboxes[1].next() == b"seated"
    assert inboxes[2].queue.empty()


async def test_one_pubsub_connection_carries_every_restaurant_of_an_instance(
    own_redis: RedisServer, brokers: list[RedisBroker]
) -> None:
    broker = await started(brokers, own_redis.url)
    restaurants = [uuid.uuid4() for _ in range(5)]
    for restaurant in restaurants:
        await broker.subscribe(restaurant)
    client = own_redis.client()
    try:
        subscribers = [c for c in client.client_list() if int(c["sub"]) > 0]
        counts = dict(client.pubsub_numsub(*(channel_name(r) for r in restaurants)))
    finally:
        client.close()
    assert [int(c["sub"]) for c in subscribers] == [5]
    assert set(counts.values()) == {1}


async def test_the_broker_reconnects_and_resubscribes_when_redis_comes_back(
    own_redis: RedisServer, brokers: list[RedisBroker]
) -> None:
    inbox = Inbox()
    listener = await started(brokers, own_redis.url, inbox)
    restaurant = uuid.uuid4()
    await listener.subscribe(restaurant)

    own_redis.stop()
    await eventually(lambda: not listener.healthy, "the broker to notice", timeout=OUTAGE_TIMEOUT)
    with pytest.raises(RedisUnavailable):
        await listener.publish(restaurant, b"lost: the event log carries it")
    later = uuid.uuid4()
    await listener.subscribe(later)  # a room opened during the outage

    own_redis.start()
    await eventually(lambda: listener.healthy, "the broker to reconnect", timeout=OUTAGE_TIMEOUT)
    publisher = await started(brokers, own_redis.url)
    await publisher.publish(restaurant, b"after the outage")
    await publisher.publish(later, b"subscribed while down")
    assert await inbox.next() == b"after the outage"
    assert await inbox.next() == b"subscribed while down"


async def test_a_broker_started_while_redis_is_down_connects_when_it_comes_up(
    own_redis: RedisServer, brokers: list[RedisBroker]
) -> None:
    own_redis.stop()
    inbox = Inbox()
    broker = await started(brokers, own_redis.url, inbox)
    assert not broker.healthy
    restaurant = uuid.uuid4()
    await broker.subscribe(restaurant)

    own_redis.start()
    await eventually(lambda: broker.healthy, "the broker to connect", timeout=OUTAGE_TIMEOUT)
    await broker.publish(restaurant, b"hello")
    assert await inbox.next() == b"hello"


async def test_a_broken_subscriber_callback_does_not_stop_delivery(
    redis_url: str, brokers: list[RedisBroker]
) -> None:
    inbox = Inbox()

    def fussy(payload: bytes) -> None:
        if payload == b"boom":
            raise RuntimeError("a bug in the hub")
        inbox(payload)

    broker = RedisBroker(redis_url)
    brokers.append(broker)
    await broker.start(fussy)
    restaurant = uuid.uuid4()
    await broker.subscribe(restaurant)
    await broker.publish(restaurant, b"boom")
    await broker.publish(restaurant, b"fine")
    assert await inbox.next() == b"fine"
    assert broker.healthy


async def test_a_redis_that_stops_answering_is_noticed_and_publishing_does_not_hang(
    own_redis: RedisServer, brokers: list[RedisBroker]
) -> None:
    # SIGSTOP keeps the TCP connections open but silent: only PING can tell.
    inbox = Inbox()
    broker = RedisBroker(own_redis.url, timeout=0.5, ping_interval=0.5)
    brokers.append(broker)
    await broker.start(inbox)
    restaurant = uuid.uuid4()
    await broker.subscribe(restaurant)
    assert own_redis.process is not None
    own_redis.process.send_signal(signal.SIGSTOP)
    try:
        # Before the silence is noticed, a publish gives up after its timeout, not never.
        with pytest.raises((TimeoutError, RedisError)):
            await broker.publish(restaurant, b"into the silence")
        await eventually(
            lambda: not broker.healthy, "the silence to be noticed", timeout=OUTAGE_TIMEOUT
        )
        with pytest.raises(RedisUnavailable):
            await broker.publish(restaurant, b"not now")
    finally:
        own_redis.process.send_signal(signal.SIGCONT)
    await eventually(lambda: broker.healthy, "the broker to reconnect", timeout=OUTAGE_TIMEOUT)
    await broker.publish(restaurant, b"awake")
    assert await inbox.next() == b"awake"
