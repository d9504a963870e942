"""Devices for the realtime tests: real WebSocket clients of real servers."""

from __future__ import annotations

import asyncio
import re
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
import pytest
import sqlalchemy as sa
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed
from websockets.frames import Close

from hoststand.domain.clock import utcnow
from hoststand.realtime.client import TokenVia, open_feed, ws_url
from hoststand.store import event_log
from hoststand.store.schema import events
from tests.conftest import Restaurant
from tests.servers import ThreadServer

WIRE_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
EVENT_TYPES = frozenset({"guest_updated", "table_updated", "data_change"})
TIMEOUT = 5.0


class Device:
    """One connected device: send messages, receive the next one, wait for the close."""

    def __init__(self, ws: ClientConnection, hello: dict[str, Any]) -> None:
        self.ws = ws
        self.hello = hello

    async def send(self, message: dict[str, Any] | str | bytes) -> None:
        """Send a JSON object (or a raw frame as is)."""
        await self.ws.send(
            message if isinstance(message, str | bytes) else orjson.dumps(message).decode()
        )

    async def recv(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        """The next message, parsed; fails after `timeout` seconds."""
        message: dict[str, Any] = orjson.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        return message

    async def recv_many(self, count: int, timeout: float = TIMEOUT) -> list[dict[str, Any]]:
        """The next `count` messages."""
        return [await self.recv(timeout) for _ in range(count)]

    async def events_until(self, seq: int, timeout: float = TIMEOUT) -> list[dict[str, Any]]:
        """Every event received up to and including `seq` (other messages are skipped)."""
        events: list[dict[str, Any]] = []
        while not events or events[-1]["seq"] < seq:
            message = await self.recv(timeout)
            if message["type"] in EVENT_TYPES:
                events.append(message)
        return events

    async def assert_quiet(self) -> None:
        """Nothing is queued for this device: the answer to a ping comes next.

        Messages to a device are queued in order, so anything wrongly sent to it before the
        ping would arrive before the pong.
        """
        await self.send({"type": "ping"})
        message = await self.recv()
        assert message["type"] == "pong", f"expected nothing before the pong, got {message}"

    async def closed(self, timeout: float = TIMEOUT) -> Close:
        """Wait for the server to close the socket; its close frame."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    await self.ws.recv()
        except ConnectionClosed as exc:
            frame = exc.rcvd
        if frame is None:
            raise AssertionError("the connection dropped without a close frame")
        return frame

    async def close(self) -> None:
        """Close from the client side."""
        await self.ws.close()


Connect = Callable[..., Awaitable[Device]]


@pytest.fixture
async def connect() -> AsyncIterator[Connect]:
    """Open devices of a restaurant (host token unless told); all closed at the end."""
    opened: list[Device] = []

    async def open_device(
        restaurant: Restaurant,
        role: str = "host",
        *,
        base_url: str | None = None,
        last_seq: int | None = None,
        via: TokenVia = "header",
        **kwargs: Any,
    ) -> Device:
        kwargs.setdefault("max_queue", None)  # closing with unread messages stays quick
        ws, hello = await open_feed(
            base_url or restaurant.api.base_url,
            restaurant.id,
            restaurant.tokens[role],
            last_seq=last_seq,
            via=via,
            **kwargs,
        )
        device = Device(ws, hello)
        opened.append(device)
        return device

    yield open_device
    for device in opened:
        await device.close()


RawConnect = Callable[..., Awaitable[Device]]


@pytest.fixture
async def connect_raw() -> AsyncIterator[RawConnect]:
    """Open sockets that have not sent restaurant_connect yet; all closed at the end."""
    opened: list[Device] = []

    async def open_socket(
        base_url: str, restaurant_id: str | None, token: str | None, **kwargs: Any
    ) -> Device:
        url = ws_url(base_url, restaurant_id or "", None, "header")
        if restaurant_id is None:
            url = url.split("?", 1)[0]
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        device = Device(await websockets.connect(url, additional_headers=headers, **kwargs), {})
        opened.append(device)
        return device

    yield open_socket
    for device in opened:
        await device.close()


def small_socket(base_url: str) -> socket.socket:
    """A connected socket with a small receive buffer (set before connecting, for the window)."""
    parts = urlsplit(base_url)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((parts.hostname, parts.port))
    sock.setblocking(False)
    return sock


async def metric(base_url: str, name: str, labels: str = "") -> float:
    """One sample of GET /metrics (0 when absent), e.g. metric(url, "x_total", 'type="a"')."""
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"{base_url}/metrics")).text
    wanted = f"{name}{{{labels}}}" if labels else name
    for line in text.splitlines():
        sample, _, value = line.rpartition(" ")
        if sample == wanted:
            return float(value)
    return 0.0


def prune_events(srv: ThreadServer, restaurant_id: str) -> int:
    """Drop every logged event of a restaurant, as retention does once they are old enough."""

    async def prune() -> int:
        async with srv.runtime.ctx.db.write() as conn:
            return await event_log.prune(
                conn, before=utcnow() + timedelta(days=1), restaurant_id=uuid.UUID(restaurant_id)
            )

    return int(srv.call(prune()))


def prune_one_before_its_predecessors(srv: ThreadServer, restaurant_id: str, seq: int) -> None:
    """Let retention reach one event before the events logged ahead of it, leaving a hole.

    Events are pruned by `occurred_at`, each stamped with the clock of the instance that made
    it: one stamped by an instance whose clock is behind the others' (or after the host's clock
    was stepped back) is, for the prune, older than events with smaller seqs.
    """

    async def prune() -> int:
        rid = uuid.UUID(restaurant_id)
        mine = events.c.restaurant_id == rid
        async with srv.runtime.ctx.db.write() as conn:
            oldest = await conn.execute(sa.select(sa.func.min(events.c.occurred_at)).where(mine))
            boundary = oldest.scalar_one()
            skewed = sa.update(events).where(mine, events.c.seq == seq)
            await conn.execute(skewed.values(occurred_at=boundary - timedelta(seconds=1)))
            return await event_log.prune(conn, before=boundary, restaurant_id=rid)

    assert srv.call(prune()) == 1


async def every_kind_of_message(
    restaurant: Restaurant, connect: Connect, connect_raw: RawConnect
) -> list[dict[str, Any]]:
    """What a real server sends, in a session that draws every type and event action:
    greetings, events of each action (restaurant and token changes included), user_action
    relays with a guest_id and with a table_id, a pong, errors, a resync_required."""
    first, second = await connect(restaurant), await connect(restaurant)
    sent: list[dict[str, Any]] = [first.hello]
    table = await restaurant.table("1", capacity=2)
    held = await restaurant.guest("Holder", kind="reservation", reserved_for="2030-01-01T20:00:00Z")
    guest = await restaurant.guest("Seated", party_size=2)
    host, owner, path = restaurant.client("host"), restaurant.client("owner"), restaurant.path
    await host.ok("PATCH", f"{path}/guests/{held['id']}", json={"held_table_id": table["id"]})
    await host.ok("POST", f"{path}/tables/{table['id']}/assign", json={"guest_id": guest["id"]})
    await host.ok("POST", f"{path}/tables/{table['id']}/release")
    await owner.ok("PATCH", path, json={"name": "Documented"})
    token = await owner.ok("POST", f"{path}/tokens", 201, json={"name": "new ipad", "role": "host"})
    await owner.ok("DELETE", f"{path}/tokens/{token['id']}", 204)
    await owner.ok("DELETE", f"{path}/tables/{table['id']}", 204)
    await host.ok("DELETE", f"{path}/guests/{guest['id']}", 204)
    last = (await restaurant.snapshot())["seq"]
    sent += await first.events_until(last)
    await second.events_until(last)
    for about in ({"table_id": table["id"]}, {"guest_id": guest["id"]}):
        await first.send({"type": "user_action", "action": "looking", **about})
        sent.append(await second.recv())
    await first.send({"type": "ping"})
    sent.append(await first.recv())
    await first.send("{")
    sent.append(await first.recv())
    stale = await connect(restaurant, last_seq=last + 100)
    sent += [stale.hello, await stale.recv()]
    resumed = await connect(restaurant, last_seq=last)
    sent.append(resumed.hello)
    early = await connect_raw(restaurant.api.base_url, restaurant.id, restaurant.tokens["host"])
    await early.send({"type": "user_action", "action": "too early"})
    sent.append(await early.recv())
    return sent
