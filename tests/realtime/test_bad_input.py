"""Bad input gets an `error` message and the socket stays usable; only oversized frames close it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from websockets.client import ClientProtocol
from websockets.frames import Frame
from websockets.http11 import Response
from websockets.uri import parse_uri

from hoststand.realtime.client import ws_url
from tests.conftest import Restaurant
from tests.realtime.conftest import (
    TIMEOUT,
    WIRE_TIMESTAMP,
    Connect,
    Device,
    RawConnect,
)
from tests.servers import ThreadServer
from tests.waiting import eventually

BAD_MESSAGES = [
    pytest.param("this is not json", "invalid_json", id="invalid-json"),
    pytest.param('{"type": "ping"', "invalid_json", id="truncated-json"),
    pytest.param(b"\xff\xfe not utf-8", "invalid_json", id="binary-garbage"),
    pytest.param("[1, 2, 3]", "validation_error", id="an-array"),
    pytest.param('"ping"', "validation_error", id="a-string"),
    pytest.param("42", "validation_error", id="a-number"),
    pytest.param('{"action": "x"}', "validation_error", id="no-type"),
    pytest.param('{"type": 7}', "validation_error", id="type-not-a-string"),
    pytest.param('{"type": "dance"}', "unknown_type", id="unknown-type"),
    pytest.param('{"type": "user_action"}', "validation_error", id="user-action-without-action"),
    pytest.param('{"type": "user_action", "action": ""}', "validation_error", id="empty-action"),
    pytest.param('{"type": "user_action", "action": 7}', "validation_error", id="action-number"),
    pytest.param(
        '{"type": "user_action", "action": "x", "guest_id": ["g"]}',
        "validation_error",
        id="guest-id-array",
    ),
    pytest.param(
        '{"type": "user_action", "action": "' + "x" * 101 + '"}',
        "validation_error",
        id="action-too-long",
    ),
    pytest.param(
        '{"type": "user_action", "action": "x", "restaurant_id": "restaurant_123"}',
        "restaurant_mismatch",
        id="restaurant-mismatch",
    ),
    pytest.param('{"type": "restaurant_connect"}', "already_connected", id="second-connect"),
    pytest.param("[" * 1025 + "]" * 1025, "invalid_json", id="nested-deeper-than-1024"),
    pytest.param("[" * 1024 + "]" * 1024, "validation_error", id="nested-1024-deep-an-array"),
    # Valid ISO 8601 times whose UTC falls outside the years 1-9999: refused, not a 1011.
    pytest.param(
        '{"type": "user_action", "action": "x", "timestamp": "0001-01-01T00:00:00+01:00"}',
        "validation_error",
        id="timestamp-before-year-1-in-utc",
    ),
    pytest.param(
        '{"type": "user_action", "action": "x", "timestamp": "9999-12-31T23:59:59-01:00"}',
        "validation_error",
        id="timestamp-after-year-9999-in-utc",
    ),
]


async def expect_error(device: Device, code: str) -> None:
    """The next message is an error with `code`, in the documented shape."""
    error = await device.recv()
    assert error["type"] == "error", error
    assert error["code"] == code, error
    assert isinstance(error["message"], str)
    assert error["message"]
    assert WIRE_TIMESTAMP.match(error["timestamp"])


async def test_ping_is_answered_with_pong_before_and_after_the_handshake(
    restaurant: Restaurant, connect_raw: RawConnect
) -> None:
    device = await connect_raw(restaurant.api.base_url, restaurant.id, restaurant.tokens["host"])
    await device.send({"type": "ping"})
    pong = await device.recv()
    assert set(pong) == {"type", "timestamp"}
    assert pong["type"] == "pong"
    assert WIRE_TIMESTAMP.match(pong["timestamp"])
    await device.send({"type": "restaurant_connect", "restaurant_id": restaurant.id})
    assert (await device.recv())["type"] == "connection_established"
    await device.send({"type": "ping", "extra": "ignored"})
    assert (await device.recv())["type"] == "pong"


@pytest.mark.parametrize(("frame", "code"), BAD_MESSAGES)
async def test_bad_input_gets_an_error_and_the_socket_stays_usable(
    restaurant: Restaurant, connect: Connect, frame: str | bytes, code: str
) -> None:
    device = await connect(restaurant)
    await device.send(frame)
    await expect_error(device, code)
    await device.assert_quiet()
    guest = await restaurant.guest("Still here")
    assert (await device.recv())["guest_id"] == guest["id"]


async def test_before_the_handshake_only_ping_and_restaurant_connect_are_accepted(
    restaurant: Restaurant, connect_raw: RawConnect
) -> None:
    device = await connect_raw(restaurant.api.base_url, restaurant.id, restaurant.tokens["host"])
    await device.send({"type": "user_action", "action": "too early"})
    await expect_error(device, "handshake_required")
    await device.send("{not json")
    await expect_error(device, "invalid_json")
    await device.send({"type": "dance"})
    await expect_error(device, "unknown_type")
    await device.send({"type": "restaurant_connect", "last_seq": "5"})
    await expect_error(device, "validation_error")
    await device.send({"type": "restaurant_connect", "last_seq": -1})
    await expect_error(device, "validation_error")
    await device.send({"type": "restaurant_connect", "last_seq": 2**63})  # past a 64-bit seq
    await expect_error(device, "validation_error")
    await device.send({"type": "restaurant_connect", "restaurant_id": "restaurant_123"})
    await expect_error(device, "restaurant_mismatch")
    await device.send(
        {"type": "user_action", "action": "x", "timestamp": "0001-01-01T00:00:00+01:00"}
    )
    await expect_error(device, "validation_error")
    await device.send({"type": "ping"})
    assert (await device.recv())["type"] == "pong"
    await device.send({"type": "restaurant_connect", "restaurant_id": restaurant.id})
    hello = await device.recv()
    assert (hello["type"], hello["restaurant_id"]) == ("connection_established", restaurant.id)


async def test_a_restaurant_connect_without_any_restaurant_id_is_refused(
    restaurant: Restaurant, connect_raw: RawConnect
) -> None:
    device = await connect_raw(restaurant.api.base_url, None, restaurant.tokens["host"])
    await device.send({"type": "restaurant_connect", "platform": "iOS", "version": "2.0.0"})
    await expect_error(device, "validation_error")
    # The id may come in the message alone.
    await device.send({"type": "restaurant_connect", "restaurant_id": restaurant.id})
    assert (await device.recv())["type"] == "connection_established"


async def test_a_frame_over_64_kib_closes_with_1009(
    restaurant: Restaurant, connect: Connect
) -> None:
    device = await connect(restaurant)
    padding = "x" * (60 * 1024)
    await device.send({"type": "ping", "padding": padding})  # under the limit: fine
    assert (await device.recv())["type"] == "pong"
    await device.send({"type": "ping", "padding": padding + "x" * (5 * 1024)})
    assert (await device.closed()).code == 1009


async def test_an_oversized_frame_before_the_handshake_closes_with_1009(
    restaurant: Restaurant, connect_raw: RawConnect
) -> None:
    device = await connect_raw(restaurant.api.base_url, restaurant.id, restaurant.tokens["host"])
    await device.send("x" * (64 * 1024 + 1))
    assert (await device.closed()).code == 1009


@pytest.mark.parametrize("handshaken", [False, True], ids=["before-handshake", "live"])
async def test_a_text_frame_that_is_not_utf8_closes_with_1007_and_logs_no_traceback(
    restaurant: Restaurant,
    connect: Connect,
    connect_raw: RawConnect,
    caplog: pytest.LogCaptureFixture,
    handshaken: bool,
) -> None:
    """RFC 6455 fails the connection (1007); a client's bad bytes are not a server error."""
    if handshaken:
        device = await connect(restaurant)
    else:
        token = restaurant.tokens["host"]
        device = await connect_raw(restaurant.api.base_url, restaurant.id, token)
    with caplog.at_level(logging.DEBUG):
        await device.ws.send(b'{"type": "ping", "x": "\xff"}', text=True)
        assert (await device.closed()).code == 1007
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []


class SansIODevice:
    """A device on a raw socket, framed by websockets' sans-I/O client: the test decides
    which bytes it writes and when it reads, down to frames no client library would send."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, url: str):
        self.reader, self.writer = reader, writer
        self.protocol = ClientProtocol(parse_uri(url), max_size=None)

    @classmethod
    async def open(cls, restaurant: Restaurant) -> SansIODevice:
        """Connected, and handshaken with the restaurant's host token."""
        url = ws_url(restaurant.api.base_url, restaurant.id, None, "header")
        parts = urlsplit(url)
        device = cls(*await asyncio.open_connection(parts.hostname, parts.port), url)
        request = device.protocol.connect()
        request.headers["Authorization"] = f"Bearer {restaurant.tokens['host']}"
        device.protocol.send_request(request)
        device.flush()
        await device.until(lambda event: isinstance(event, Response))
        device.protocol.send_text(b'{"type": "restaurant_connect"}')
        device.flush()
        await device.until(lambda event: isinstance(event, Frame) and b"established" in event.data)
        return device

    @property
    def address(self) -> tuple[str, int]:
        """Where the server sees it come from."""
        host, port = self.writer.get_extra_info("sockname")[:2]
        return host, port

    def flush(self) -> None:
        """Write what the protocol has to send."""
        self.writer.write(b"".join(self.protocol.data_to_send()))

    async def until(self, wanted: Callable[[object], bool]) -> None:
        """Read until an event is `wanted`; fail at the end of the stream."""
        async with asyncio.timeout(TIMEOUT):
            while True:
                data = await self.reader.read(65536)
                assert data, "the server closed the connection first"
                self.protocol.receive_data(data)
                if any(wanted(event) for event in self.protocol.events_received()):
                    return

    async def close_code(self) -> int:
        """Read up to the end of the stream; the code of the close frame that came before."""
        async with asyncio.timeout(TIMEOUT):
            while data := await self.reader.read(65536):
                self.protocol.receive_data(data)
        assert self.protocol.close_rcvd is not None, "the stream ended without a close frame"
        return self.protocol.close_rcvd.code


def _send_over_the_limit(device: SansIODevice) -> None:
    device.protocol.send_text(b'{"type": "ping", "padding": "' + b"x" * 70_000, fin=False)
    device.flush()


def _send_text_not_utf8(device: SansIODevice) -> None:
    device.protocol.send_text(b'{"type": "ping", "x": "\xff"}')
    device.flush()


def _send_unmasked(device: SansIODevice) -> None:
    device.writer.write(b"\x81\x02{}")  # RFC 6455: a client masks every frame


@pytest.mark.parametrize(
    ("send", "code"),
    [
        pytest.param(_send_over_the_limit, 1009, id="over-the-limit"),
        pytest.param(_send_text_not_utf8, 1007, id="text-not-utf8"),
        pytest.param(_send_unmasked, 1002, id="unmasked-frame"),
    ],
)
async def test_a_failed_connection_is_half_closed_so_its_close_code_is_not_lost(
    server: ThreadServer,
    restaurant: Restaurant,
    send: Callable[[SansIODevice], None],
    code: int,
) -> None:
    """The device may still be sending when the server fails its connection: were the socket
    closed, those bytes would draw a reset, and a device that had not read the close frame
    yet would lose it. The server half-closes and reads on until the device's end."""
    device = await SansIODevice.open(restaurant)
    send(device)
    assert await device.close_code() == code
    device.writer.write(b"x" * 4096)  # the rest of what it was sending: dropped, no reset

    async def held() -> bool:
        return any(p.client == device.address for p in server.connections)

    assert server.call(held()), "the server closed the socket before the device did"
    device.writer.close()

    async def released() -> bool:
        return not server.call(held())

    await eventually(released, "the server to close the socket after the device's end")


async def test_frames_that_arrive_together_are_answered_in_the_order_sent(
    restaurant: Restaurant, connect: Connect
) -> None:
    """The socket queues a binary frame for the reader but hands text frames over at once
    (protocol.DeviceProtocol): a text frame behind a queued one must still wait its turn."""
    device = await connect(restaurant)
    client = device.ws.protocol
    client.send_binary(b'{"type": "ping"}')
    client.send_text(b"not json")
    client.send_binary(b"\xff not utf-8")
    client.send_text(b'{"type": "ping"}')
    device.ws.transport.write(b"".join(client.data_to_send()))  # one write, one segment
    answers = [(m["type"], m.get("code")) for m in await device.recv_many(4)]
    assert answers == [
        ("pong", None),
        ("error", "invalid_json"),
        ("error", "invalid_json"),
        ("pong", None),
    ]
    await device.assert_quiet()
