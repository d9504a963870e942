"""The broker contract, the same tests for every backend: memory:// and redis://."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from hoststand.bus import Broker, create_broker
from hoststand.bus.memory import MemoryBroker
from hoststand.bus.redis import RedisBroker

RECEIVE_TIMEOUT = 5.0


class Inbox:
    """What a broker handed to its instance, in order."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()

    def __call__(self, payload: bytes) -> None:
        self.queue.put_nowait(payload)

    async def next(self) -> bytes:
        """The next payload; fail if none comes in time."""
        return await asyncio.wait_for(self.queue.get(), RECEIVE_TIMEOUT)


@pytest.fixture(params=["memory", "redis"])
def broker_url(request: pytest.FixtureRequest) -> str:
    """Each test using this runs once per backend."""
    if request.param == "memory":
        return "memory://"
    return request.getfixturevalue("redis_url")  # type: ignore[no-any-return]


@pytest.fixture
async def inbox() -> Inbox:
    """Collects what the broker under test delivers."""
    return Inbox()


@pytest.fixture
async def broker(broker_url: str, inbox: Inbox) -> AsyncIterator[Broker]:
    """A started broker of the backend under test, delivering to `inbox`."""
    started = create_broker(broker_url)
    await started.start(inbox)
    yield started
    await started.close()


async def test_a_started_broker_is_healthy(broker: Broker) -> None:
    assert broker.healthy


async def test_a_subscribed_restaurant_gets_its_payloads_in_order(
    broker: Broker, inbox: Inbox
) -> None:
    restaurant = uuid.uuid4()
    await broker.subscribe(restaurant)
    sent = [f"event {n}".encode() for n in range(20)]
    for payload in sent:
        await broker.publish(restaurant, payload)
    assert [await inbox.next() for _ in sent] == sent


async def test_nothing_arrives_for_a_restaurant_not_subscribed(
    broker: Broker, inbox: Inbox
) -> None:
    listened, other = uuid.uuid4(), uuid.uuid4()
    await broker.subscribe(listened)
    await broker.publish(other, b"not for us")
    await broker.publish(listened, b"marker")
    # Payloads of one publisher arrive in order: had the first been delivered, it came first.
    assert await inbox.next() == b"marker"
    assert inbox.queue.empty()


async def test_nothing_arrives_after_unsubscribing(broker: Broker, inbox: Inbox) -> None:
    left, marker = uuid.uuid4(), uuid.uuid4()
    await broker.subscribe(left)
    await broker.subscribe(marker)
    await broker.publish(left, b"before")
    assert await inbox.next() == b"before"
    await broker.unsubscribe(left)
    await broker.publish(left, b"after")
    await broker.publish(marker, b"marker")
    assert await inbox.next() == b"marker"
    assert inbox.queue.empty()


async def test_subscribing_again_delivers_again(broker: Broker, inbox: Inbox) -> None:
    restaurant = uuid.uuid4()
    await broker.subscribe(restaurant)
    await broker.unsubscribe(restaurant)
    await broker.subscribe(restaurant)
    await broker.publish(restaurant, b"back")
    assert await inbox.next() == b"back"


async def test_unsubscribing_a_restaurant_never_subscribed_is_harmless(
    broker: Broker, inbox: Inbox
) -> None:
    restaurant = uuid.uuid4()
    await broker.unsubscribe(uuid.uuid4())
    await broker.subscribe(restaurant)
    await broker.publish(restaurant, b"still works")
    assert await inbox.next() == b"still works"


async def test_the_backend_is_chosen_by_the_url_scheme(redis_url: str) -> None:
    assert isinstance(create_broker("memory://"), MemoryBroker)
    for url in (redis_url, "rediss://redis.example:6380/0", "unix:///run/redis.sock"):
        made = create_broker(url)
        assert isinstance(made, RedisBroker)
        await made.close()
    with pytest.raises(ValueError, match="unsupported scheme 'kafka'"):
        create_broker("kafka://broker:9092")
