"""The Redis broker: fan-out between instances over Redis pub/sub, one channel per restaurant.

Each instance holds one pub/sub connection and subscribes a restaurant's channel only while it
has a device of that restaurant (the hub decides when). A reader task hands every message to
the hub. When Redis goes away the reader reconnects with jittered backoff and subscribes every
wanted channel again; meanwhile `healthy` is False, publishing fails at once instead of
blocking the request, and the hubs read the events from the log (the database is the truth).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import EqualJitterBackoff, NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from hoststand.bus.base import MessageHandler

log = logging.getLogger(__name__)

CHANNEL_PREFIX = "hoststand:r:"
READ_SLICE_SECONDS = 1.0
# Channels per SUBSCRIBE when an instance with many rooms re-subscribes after a reconnect.
RESUBSCRIBE_CHUNK = 1000
CONNECTION_ERRORS = (RedisError, OSError, TimeoutError)


def channel_name(restaurant_id: uuid.UUID) -> bytes:
    """The pub/sub channel that carries one restaurant's messages."""
    return f"{CHANNEL_PREFIX}{restaurant_id}".encode()


class RedisUnavailable(RedisConnectionError):
    """Redis cannot be reached right now; the hubs find the events in the log instead."""


class RedisBroker:
    """A broker on Redis pub/sub (redis://, rediss://, unix://).

    Timeouts in the URL (`?socket_timeout=...&socket_connect_timeout=...`) override the
    keyword defaults, which keep a request from ever waiting long on Redis.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 1.0,
        subscribe_timeout: float = 1.0,
        ping_interval: float = 5.0,
        reconnect_base: float = 0.1,
        reconnect_max: float = 3.0,
    ) -> None:
        options: dict[str, Any] = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
        # One immediate retry replaces a pooled connection that died with a Redis restart.
        self._publisher = Redis.from_url(url, retry=Retry(NoBackoff(), 1), **options)
        # The listener never retries by itself: the reader loop owns reconnection.
        self._listener = Redis.from_url(url, retry=Retry(NoBackoff(), 0), **options)
        self._timeout = timeout
        self._subscribe_timeout = subscribe_timeout
        self._ping_interval = ping_interval
        self._backoff = EqualJitterBackoff(cap=reconnect_max, base=reconnect_base)
        self._handler: MessageHandler | None = None
        self._wanted: set[bytes] = set()  # channels to be subscribed, connected or not
        self._confirmations: dict[bytes, list[asyncio.Future[None]]] = {}
        self._pubsub: PubSub | None = None  # set while connected
        self._commands = asyncio.Lock()
        self._reader: asyncio.Task[None] | None = None
        self._first_attempt = asyncio.Event()

    # ---- the Broker interface ----------------------------------------------------------

    async def start(self, on_message: MessageHandler) -> None:
        """Start the reader; wait for its first connection attempt (it may fail: see healthy)."""
        self._handler = on_message
        self._reader = asyncio.create_task(self._read_forever(), name="redis-broker-reader")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._first_attempt.wait(), self._timeout * 2)

    async def close(self) -> None:
        """Stop reading, drop the connections."""
        self._handler = None
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        await self._disconnect()
        self._wanted.clear()
        await self._listener.aclose()
        await self._publisher.aclose()

    async def publish(self, restaurant_id: uuid.UUID, payload: bytes) -> None:
        """Publish to the restaurant's channel; raise at once while Redis is unreachable."""
        if not self.healthy:
            raise RedisUnavailable("Redis is unreachable; not publishing")
        async with asyncio.timeout(self._timeout):
            await self._publisher.publish(channel_name(restaurant_id), payload)

    async def subscribe(self, restaurant_id: uuid.UUID) -> None:
        """Subscribe and wait (briefly) for Redis to confirm; while disconnected, only remember."""
        channel = channel_name(restaurant_id)
        self._wanted.add(channel)
        confirmed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        async with self._commands:
            pubsub = self._pubsub
            if pubsub is None:
                return  # the reconnect subscribes every wanted channel
            self._confirmations.setdefault(channel, []).append(confirmed)
            try:
                await pubsub.subscribe(channel)
            except CONNECTION_ERRORS as exc:
                log.warning("subscribing failed (the reader will reconnect): %s", exc)
                self._forget_confirmation(channel, confirmed)
                return
        try:
            await asyncio.wait_for(confirmed, self._subscribe_timeout)
        except TimeoutError:
            # Events published meanwhile are not lost: the hub's log poller finds them.
            log.warning("Redis did not confirm a subscription within %ss", self._subscribe_timeout)
        finally:
            self._forget_confirmation(channel, confirmed)

    async def unsubscribe(self, restaurant_id: uuid.UUID) -> None:
        """Stop receiving the restaurant's messages (from now on, even those in flight)."""
        channel = channel_name(restaurant_id)
        self._wanted.discard(channel)
        async with self._commands:
            if self._pubsub is None:
                return
            try:
                await self._pubsub.unsubscribe(channel)
            except CONNECTION_ERRORS as exc:
                log.warning("unsubscribing failed (the reader will reconnect): %s", exc)

    @property
    def healthy(self) -> bool:
        """True while the pub/sub connection is up."""
        return self._pubsub is not None

    # ---- the reader --------------------------------------------------------------------

    async def _read_forever(self) -> None:
        failures = 0
        while True:
            try:
                await self._connect()
                failures = 0
                self._first_attempt.set()
                await self._listen()
            except Exception as exc:
                if not isinstance(exc, CONNECTION_ERRORS):
                    log.exception("the Redis reader failed unexpectedly; reconnecting")
                elif self.healthy:
                    log.warning("lost Redis (%s); events come from the log until it is back", exc)
                elif failures == 0:
                    log.warning("cannot reach Redis (%s); retrying with backoff", exc)
                await self._disconnect()
                self._first_attempt.set()
                failures += 1
                await asyncio.sleep(self._backoff.compute(failures))

    async def _connect(self) -> None:
        """Open the pub/sub connection and subscribe every wanted channel."""
        pubsub = self._listener.pubsub()
        try:
            # Connect outside the lock: a slow connect must not hold up subscribe() callers.
            await pubsub.connect()  # type: ignore[no-untyped-call]  # redis-py lacks hints
            async with self._commands:
                channels = list(self._wanted)
                for start in range(0, len(channels), RESUBSCRIBE_CHUNK):
                    await pubsub.subscribe(*channels[start : start + RESUBSCRIBE_CHUNK])
                self._pubsub = pubsub
        except BaseException:
            await pubsub.aclose()  # type: ignore[no-untyped-call]
            raise
        log.info("connected to Redis; %d restaurant channels subscribed", len(channels))

    async def _listen(self) -> None:
        """Hand messages to the hub; PING when idle, so that a silent network is noticed."""
        pubsub = self._pubsub
        assert pubsub is not None
        loop = asyncio.get_running_loop()
        heard = loop.time()
        pinged: float | None = None
        while True:
            message = await pubsub.get_message(timeout=READ_SLICE_SECONDS)
            now = loop.time()
            if message is not None:
                heard, pinged = now, None
                self._dispatch(message)
            elif pinged is not None and now - pinged > self._ping_interval:
                raise RedisConnectionError("Redis did not answer PING")
            elif pinged is None and now - heard > self._ping_interval:
                async with self._commands:
                    await pubsub.ping()
                pinged = now

    def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "message":
            # A message still in flight after unsubscribe() is dropped here.
            if message["channel"] in self._wanted and self._handler is not None:
                try:
                    self._handler(message["data"])
                except Exception:
                    log.exception("the broker's message handler failed")
        elif kind == "subscribe":
            for waiter in self._confirmations.get(message["channel"], []):
                if not waiter.done():
                    waiter.set_result(None)

    async def _disconnect(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        # Nobody waits for a confirmation that cannot come: the reconnect subscribes again.
        for waiters in self._confirmations.values():
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)
        if pubsub is not None:
            with contextlib.suppress(*CONNECTION_ERRORS):
                await pubsub.aclose()  # type: ignore[no-untyped-call]

    def _forget_confirmation(self, channel: bytes, waiter: asyncio.Future[None]) -> None:
        waiters = self._confirmations.get(channel)
        if waiters is not None and waiter in waiters:
            waiters.remove(waiter)
            if not waiters:
                del self._confirmations[channel]
