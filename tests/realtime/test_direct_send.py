"""How messages reach sockets: written at once (framed once, or per device when deflated), or
queued behind a writer task while a device lags, and always in order."""

from __future__ import annotations

import gc
import logging
import types
from collections.abc import Callable
from typing import Any

from websockets.frames import Frame, Opcode

from hoststand.realtime.wire import text_frame
from tests.conftest import Restaurant
from tests.realtime.conftest import Connect, small_socket
from tests.servers import ThreadServer
from tests.waiting import eventually

BATCH = 500
MAX_BATCHES = 40


async def test_with_compression_on_each_device_gets_what_it_negotiated(
    start_server: Callable[..., ThreadServer], restaurant: Restaurant, connect: Connect
) -> None:
    srv = start_server(ws_compression=True)
    sender = await connect(restaurant, base_url=srv.base_url)
    deflated = await connect(restaurant, base_url=srv.base_url, compression="deflate")
    plain = await connect(restaurant, base_url=srv.base_url, compression=None)
    assert [e.name for e in deflated.ws.protocol.extensions] == ["permessage-deflate"]
    assert plain.ws.protocol.extensions == []
    # The deflated device's client decodes each frame through its extension: whether the
    # server compressed it is its RSV1 bit (RFC 7692 6), which an uncompressed frame lacks.
    extension = deflated.ws.protocol.extensions[0]
    compressed: list[bool] = []

    def decode(frame: Frame, *, max_size: int | None = None) -> Frame:
        compressed.append(frame.rsv1)
        return type(extension).decode(extension, frame, max_size=max_size)

    extension.decode = decode  # type: ignore[method-assign]
    await sender.send({"type": "user_action", "action": "hover", "guest_id": "g-7"})
    guest = await restaurant.guest("Deflate")
    for device in (deflated, plain):
        relayed = await device.recv()
        assert (relayed["type"], relayed["guest_id"]) == ("user_action", "g-7")
        event = await device.recv()
        assert (event["type"], event["guest_id"]) == ("guest_updated", guest["id"])
        assert event["seq"] == device.hello["seq"] + 1
    assert compressed == [True, True]


async def test_a_device_that_lags_gets_its_backlog_then_live_messages_in_order(
    start_server: Callable[..., ThreadServer], restaurant: Restaurant, connect: Connect
) -> None:
    srv = start_server(ws_queue_limit=100_000, user_action_rate=1e6, user_action_burst=1_000_000)
    sender = await connect(restaurant, base_url=srv.base_url)
    # Reads one message at a time, into a small receive window: the server's socket fills up.
    slow = await connect(
        restaurant, base_url=srv.base_url, sock=small_socket(srv.base_url), max_queue=1
    )

    async def queued() -> int:
        hub = srv.runtime.hub
        return max(c.queued for room in hub.rooms.values() for c in room.connections)

    sent = 0
    while srv.call(queued()) == 0:
        assert sent < BATCH * MAX_BATCHES, "the slow device never lagged"
        for _ in range(BATCH):
            await sender.send({"type": "user_action", "action": "tick", "guest_id": f"m{sent}"})
            sent += 1

    async def drained() -> bool:
        return bool(srv.call(queued()) == 0)

    # Live messages sent while the backlog drains (the socket pausing and resuming as the device
    # reads) must come after it, never jump the queue.
    received: list[str] = []
    while len(received) < sent:
        received.append((await slow.recv(timeout=30))["guest_id"])
        if len(received) % 4 == 0 and sent < BATCH * MAX_BATCHES * 2:
            await sender.send({"type": "user_action", "action": "tick", "guest_id": f"m{sent}"})
            sent += 1
    assert received == [f"m{n}" for n in range(sent)]
    await eventually(drained, "the backlog to be gone")
    await sender.send({"type": "user_action", "action": "tick", "guest_id": "after"})
    assert (await slow.recv())["guest_id"] == "after"
    await slow.assert_quiet()


async def test_an_idle_device_keeps_nothing_of_its_upgrade_request(
    server: ThreadServer, restaurant: Restaurant, connect: Connect
) -> None:
    device = await connect(restaurant, via="header")
    token = restaurant.tokens["host"]

    async def kept() -> tuple[object, ...]:
        hub = server.runtime.hub
        conns = [c for room in hub.rooms.values() for c in room.connections]
        (conn,) = [c for c in conns if c.id == device.hello["connection_id"]]
        protocol = conn.receive.__self__  # type: ignore[attr-defined]  # Uvicorn's own receive
        texts = _texts_reachable_from(protocol, conn)
        holding_token = [t for t in texts if (token if isinstance(t, str) else token.encode()) in t]
        return (
            conn.websocket.scope.get("headers"),
            protocol.request,
            protocol.response,
            holding_token,
        )

    # The token came in a header; once handshaken, neither the scope nor Uvicorn nor the
    # websockets parser beneath it (whose generator holds the parsed request) keeps it.
    assert server.call(kept()) == (None, None, None, [])
    await device.send({"type": "ping"})
    assert (await device.recv())["type"] == "pong"


def _texts_reachable_from(protocol: Any, conn: Any) -> list[str | bytes]:
    """Every str and bytes that one device's protocol and connection reach, shared parts aside
    (the server's config, app, loop and registries, loggers, modules, classes, functions)."""
    shared = {
        id(o)
        for o in (
            protocol.config,
            protocol.app,
            protocol.loop,
            protocol.connections,
            protocol.tasks,
            protocol.app_state,
            protocol.default_headers,
        )
    }
    skipped = (type, types.ModuleType, types.FunctionType, types.CodeType, logging.Logger)
    seen: set[int] = set()
    texts: list[str | bytes] = []
    stack: list[Any] = [protocol, conn]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or id(obj) in shared or isinstance(obj, skipped):
            continue
        seen.add(id(obj))
        if isinstance(obj, str | bytes | bytearray):
            texts.append(bytes(obj) if isinstance(obj, bytearray) else obj)
        stack.extend(gc.get_referents(obj))
    return texts


def test_a_frame_framed_once_is_the_frame_websockets_writes_at_every_length() -> None:
    """wire.text_frame's prebuilt headers and the lengths it encodes itself, at each boundary."""
    lengths = [*range(0, 1100), 0xFFFF, 0x10000, 70_000]
    for length in lengths:
        data = b"x" * length
        expected = Frame(Opcode.TEXT, data).serialize(mask=False)
        assert text_frame(data) == expected, length
        assert text_frame(data.decode()) == expected, length
