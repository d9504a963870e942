"""The socket's frames: however the byte stream is cut, each frame is taken as it was sent.

Once the upgrade is done, `protocol.DeviceProtocol` finds where each frame ends itself and hands
websockets every frame that is not a whole final text frame. These tests cut the same stream at
every byte and other sizes, by handing the server's own protocol object of a live connection the
chunks as its transport would (on the server's loop), and send an upgrade request with the start
of a frame behind it in one segment.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri
from websockets.utils import apply_mask

from hoststand.realtime.client import ws_url
from tests.conftest import Restaurant
from tests.realtime.conftest import TIMEOUT, Connect, Device
from tests.servers import ThreadServer
from tests.waiting import eventually

PING = b'{"type": "ping"}'


def _masked(opcode: Opcode, data: bytes, *, fin: bool = True) -> bytes:
    return Frame(opcode, data, fin).serialize(mask=True)


# Each frame, and what the device gets back for it (None: nothing of its own).
STREAM: list[tuple[bytes, str | None]] = [
    (_masked(Opcode.TEXT, PING), "pong"),
    (_masked(Opcode.TEXT, b"not json"), "error"),
    # 16-bit length (126 and more) and 64-bit length (65,536 and more, under the 64 KiB limit
    # it is not: kept to 16 bits here, the limit's own test has the big ones).
    (_masked(Opcode.TEXT, b'{"type": "ping", "pad": "' + b"x" * 300 + b'"}'), "pong"),
    # A fragmented message with a ping between its fragments (websockets answers that ping
    # with a pong frame, which the client's protocol takes, not the device's messages).
    (_masked(Opcode.TEXT, b'{"type": ', fin=False), None),
    (_masked(Opcode.PING, b"between"), None),
    (_masked(Opcode.CONT, b'"ping"}'), "pong"),
    (_masked(Opcode.BINARY, PING), "pong"),
    (_masked(Opcode.PONG, b"unasked"), None),
    (_masked(Opcode.TEXT, PING), "pong"),
]


def _server_side(srv: ThreadServer, device: Device) -> Any:
    """The server's protocol object of this device's connection."""
    local = device.ws.transport.get_extra_info("sockname")

    async def find() -> Any:
        for protocol in srv.connections:
            if protocol.client == tuple(local[:2]):
                return protocol
        raise AssertionError(f"no server connection from {local}")

    return srv.call(find())


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 64, 1000, 100_000])
async def test_frames_cut_anywhere_are_taken_as_sent(
    server: ThreadServer, restaurant: Restaurant, connect: Connect, size: int
) -> None:
    device = await connect(restaurant)
    protocol = _server_side(server, device)
    stream = b"".join(frame for frame, _ in STREAM)
    chunks = [stream[at : at + size] for at in range(0, len(stream), size)]

    async def feed() -> None:
        for chunk in chunks:
            protocol.data_received(chunk)

    server.call(feed())
    expected = [answer for _, answer in STREAM if answer is not None]
    answered = [m["type"] for m in await device.recv_many(len(expected))]
    assert answered == expected
    await device.assert_quiet()


async def test_a_frame_begun_before_the_server_s_answer_is_taken_whole(
    server: ThreadServer, restaurant: Restaurant
) -> None:
    """A device that starts a frame before the server's answer (RFC 6455 says to wait).

    Here the start arrives once the upgrade is done (the app accepts at once), and the frame's
    rest after the answer: the protocol's splitter keeps the start until the rest comes. Had
    it come before the upgrade was done, the protocol would hold it until the 101 is out
    (`DeviceProtocol._held_for_the_answer`): the tests below send it in the request's segment."""
    url = ws_url(restaurant.api.base_url, restaurant.id, None, "header")
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    local = writer.get_extra_info("sockname")
    client = ClientProtocol(parse_uri(url))
    request = client.connect()
    request.headers["Authorization"] = f"Bearer {restaurant.tokens['host']}"
    client.send_request(request)
    hello = orjson.dumps({"type": "restaurant_connect", "restaurant_id": restaurant.id})
    first = _masked(Opcode.TEXT, hello)

    async def upgraded() -> bool:
        return any(p.client == tuple(local[:2]) and hasattr(p, "conn") for p in server.connections)

    try:
        writer.write(b"".join(client.data_to_send()))
        await eventually(lambda: asyncio.wrap_future(_on(server, upgraded())), "the upgrade")
        writer.write(first[:5])
        received: list[dict[str, Any]] = []
        async with asyncio.timeout(TIMEOUT):
            while len(received) < 2:
                data = await reader.read(65536)
                assert data, "the server closed the connection"
                client.receive_data(data)
                for event in client.events_received():
                    if isinstance(event, Response):
                        assert event.status_code == 101
                        writer.write(first[5:] + _masked(Opcode.TEXT, PING))
                    elif isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                        received.append(orjson.loads(event.data))
                    elif isinstance(event, Frame) and event.opcode is Opcode.CLOSE:
                        raise AssertionError(f"closed: {event}")
        assert [m["type"] for m in received] == ["connection_established", "pong"]
    finally:
        writer.close()


def _on(srv: ThreadServer, coro: Any) -> Any:
    return asyncio.run_coroutine_threadsafe(coro, srv.loop)


BROKEN_FRAMES = [
    pytest.param(Frame(Opcode.TEXT, PING).serialize(mask=False), 1002, id="unmasked"),
    pytest.param(bytes([0xC1]) + _masked(Opcode.TEXT, PING)[1:], 1002, id="rsv1"),
    pytest.param(b"\x83\x80" + bytes(4), 1002, id="reserved-opcode"),
    pytest.param(_masked(Opcode.CONT, PING), 1002, id="continuation-without-start"),
    pytest.param(
        b"\x89\xfe" + (126).to_bytes(2, "big") + bytes(4 + 126), 1002, id="control-over-125"
    ),
    pytest.param(  # a pong is settled by the splitter, but not one no control frame can be
        b"\x8a\xfe" + (126).to_bytes(2, "big") + bytes(4 + 126), 1002, id="pong-over-125"
    ),
    pytest.param(_masked(Opcode.TEXT, b"x" * 70_000), 1009, id="16-bit-length-over-limit"),
    pytest.param(b"\x81\xff" + (2**40).to_bytes(8, "big") + bytes(4), 1009, id="64-bit-length"),
]


@pytest.mark.parametrize(("frame", "code"), BROKEN_FRAMES)
async def test_a_broken_frame_on_a_live_socket_fails_it_as_websockets_does(
    restaurant: Restaurant, connect: Connect, frame: bytes, code: int
) -> None:
    device = await connect(restaurant)
    device.ws.transport.write(frame)
    assert (await device.closed()).code == code


def _upgrade_request(restaurant: Restaurant) -> tuple[ClientProtocol, bytes]:
    """A client protocol for the restaurant's feed (host token in a header) and its request."""
    url = ws_url(restaurant.api.base_url, restaurant.id, None, "header")
    client = ClientProtocol(parse_uri(url))
    request = client.connect()
    request.headers["Authorization"] = f"Bearer {restaurant.tokens['host']}"
    client.send_request(request)
    return client, b"".join(client.data_to_send())


async def _texts(
    sock: socket.socket, client: ClientProtocol, count: int, *, after_101: bytes = b""
) -> list[dict[str, Any]]:
    """The next `count` text messages the server sends; `after_101` is sent on its 101."""
    reader, writer = await asyncio.open_connection(sock=sock)
    received: list[dict[str, Any]] = []
    try:
        async with asyncio.timeout(TIMEOUT):
            while len(received) < count:
                data = await reader.read(65536)
                assert data, f"the server closed the connection after {received}"
                client.receive_data(data)
                assert client.handshake_exc is None, f"not an HTTP answer: {data!r}"
                for event in client.events_received():
                    if isinstance(event, Response):
                        assert event.status_code == 101, event
                        writer.write(after_101)
                    elif isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                        received.append(orjson.loads(event.data))
                    elif isinstance(event, Frame) and event.opcode is Opcode.CLOSE:
                        raise AssertionError(f"closed: {event} after {received}")
    finally:
        writer.close()
    return received


# Where the device's first frames are cut: what shares the request's segment, the rest follows
# the 101. At 2 and 6 websockets has taken the first frame's header (and mask) with nothing left
# in its buffer: only it knows it is inside a frame.
CUTS = [
    pytest.param(None, id="all-of-them"),
    pytest.param(1, id="one-byte"),
    pytest.param(2, id="the-header"),
    pytest.param(6, id="the-header-and-mask"),
    pytest.param(7, id="one-byte-more"),
]


@pytest.mark.parametrize("cut", CUTS)
async def test_frames_sent_with_the_upgrade_request_in_one_segment_are_kept(
    restaurant: Restaurant, cut: int | None
) -> None:
    """A device that sends restaurant_connect without waiting for the 101 (RFC 6455 says to
    wait; some clients do not), in the very write of its upgrade request: Uvicorn's HTTP
    protocol hands the WebSocket protocol the request alone, so hoststand's passes on the rest
    (realtime.upgrade). With `cut`, only that much of the frames shares the segment and the
    rest comes after the 101: websockets, which parsed the start, must go on parsing them
    (`DeviceProtocol._decide_split` keeps the stream with it)."""
    client, request = _upgrade_request(restaurant)
    hello = orjson.dumps({"type": "restaurant_connect", "restaurant_id": restaurant.id})
    frames = _masked(Opcode.TEXT, hello) + _masked(Opcode.TEXT, PING)
    first, rest = (frames, b"") if cut is None else (frames[:cut], frames[cut:])
    parts = urlsplit(restaurant.api.base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=TIMEOUT) as sock:
        sock.sendall(request + first)  # one send() of a few hundred bytes: one segment
        answered = await _texts(sock, client, 2, after_101=rest)
    assert [m["type"] for m in answered] == ["connection_established", "pong"]


def _masked_by(mask: bytes, data: bytes) -> bytes:
    """A final, masked text frame (under 126 bytes) with the mask given."""
    assert len(mask) == 4
    assert len(data) < 126
    return bytes([0x81, 0x80 | len(data)]) + mask + apply_mask(data, mask)


# A frame header a splitter would take whole: final text, masked, 5 bytes long.
LOOKS_LIKE_A_HEADER = b"\x81\x85"


@pytest.mark.parametrize("cut", [2, 6], ids=["in-its-mask", "in-its-payload"])
async def test_a_frame_begun_before_the_101_is_taken_from_its_start_after_it(
    restaurant: Restaurant, cut: int
) -> None:
    """Bytes after the request and before the answer: the protocol splits frames only from
    where websockets' parser stands at the start of one (`DeviceProtocol._decide_split`). Had
    websockets taken this frame's header (or its header and mask) before the 101, with
    nothing left in its buffer, a splitter starting after the 101 would start inside it; they
    are held until the 101 is out (`_held_for_the_answer`), then split from the frame's start.
    The mask is chosen so that what comes after the cut reads like a frame's header."""
    client, request = _upgrade_request(restaurant)
    hello = orjson.dumps({"type": "restaurant_connect", "restaurant_id": restaurant.id})
    if cut == 2:  # the rest starts with the mask
        mask = LOOKS_LIKE_A_HEADER + b"\x00\x00"
    else:  # the rest starts with the masked payload
        mask = bytes(h ^ b for h, b in zip(LOOKS_LIKE_A_HEADER, hello[:2], strict=True)) + bytes(2)
    frames = _masked_by(mask, hello) + _masked(Opcode.TEXT, PING)
    assert frames[cut : cut + 2] == LOOKS_LIKE_A_HEADER
    parts = urlsplit(restaurant.api.base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=TIMEOUT) as sock:
        sock.sendall(request + frames[:cut])
        answered = await _texts(sock, client, 2, after_101=frames[cut:])
    assert [m["type"] for m in answered] == ["connection_established", "pong"]


async def test_a_ping_sent_with_the_upgrade_request_is_answered_after_the_101(
    restaurant: Restaurant,
) -> None:
    """A WebSocket ping before the 101 is answered after it: a pong ahead of the 101 would
    break the client's reading of the answer (it expects HTTP first)."""
    client, request = _upgrade_request(restaurant)
    hello = orjson.dumps({"type": "restaurant_connect", "restaurant_id": restaurant.id})
    early = _masked(Opcode.PING, b"early") + _masked(Opcode.TEXT, hello)
    parts = urlsplit(restaurant.api.base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=TIMEOUT) as sock:
        sock.sendall(request + early)
        answered = await _texts(sock, client, 2, after_101=_masked(Opcode.TEXT, PING))
    assert [m["type"] for m in answered] == ["connection_established", "pong"]
