"""Devices of the load generator: hoststand clients and bare baseline clients."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from websockets.asyncio.client import ClientConnection, connect

from hoststand.realtime.client import open_feed

if TYPE_CHECKING:
    from bench.fixtures import Tenant

T = TypeVar("T")
CONNECT_CONCURRENCY = 100


async def hoststand_device(
    base_url: str,
    restaurant_id: str,
    token: str,
    *,
    compression: bool = False,
    last_seq: int | None = None,
) -> tuple[ClientConnection, dict[str, Any]]:
    """A handshaken, authenticated device of a restaurant."""
    return await open_feed(
        base_url,
        restaurant_id,
        token,
        last_seq=last_seq,
        timeout=60.0,
        compression="deflate" if compression else None,
        ping_interval=None,
        max_queue=None,
    )


async def tenant_devices(
    base_urls: Sequence[str], tenants: Sequence[Tenant], per_room: int
) -> list[ClientConnection]:
    """`per_room` devices on each tenant's restaurant; with several instances, the devices of a
    restaurant are spread over all of them (its d-th on `base_urls[d % len(base_urls)]`)."""
    factories = [
        (
            lambda t=t, base=base_urls[d % len(base_urls)]: hoststand_device(
                base, t.restaurant_id, t.token
            )
        )
        for t in tenants
        for d in range(per_room)
    ]
    return [ws for ws, _ in await bounded(factories)]


async def baseline_device(
    base_url: str, room: str, *, compression: bool = False
) -> ClientConnection:
    """A plain socket in a room of a baseline server."""
    url = base_url.replace("http://", "ws://", 1) + f"/?room={room}"
    return await connect(
        url,
        compression="deflate" if compression else None,
        ping_interval=None,
        max_queue=None,
        max_size=None,
        open_timeout=60.0,
    )


async def bounded(
    factories: Sequence[Callable[[], Awaitable[T]]], limit: int = CONNECT_CONCURRENCY
) -> list[T]:
    """Run the factories with at most `limit` at once (connection storms need pacing)."""
    gate = asyncio.Semaphore(limit)

    async def one(factory: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            return await factory()

    return list(await asyncio.gather(*(one(f) for f in factories)))
