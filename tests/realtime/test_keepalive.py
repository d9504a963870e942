"""Keepalive: the server's protocol pings, the pongs that settle them, the close when none does.

`protocol.DeviceProtocol` writes the pings itself and settles a pong in its frame splitter, with
Uvicorn's rules: a ping every `ws_ping_interval_seconds` once the last was answered, a close with
1011 when no pong with the ping's payload comes within `ws_ping_timeout_seconds`, any other pong
ignored. A deflated connection (no splitter) is pinged the same way and its pongs go through
websockets' parser. These devices are sans-I/O clients that choose what they answer.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from urllib.parse import urlsplit

import orjson
import pytest
from websockets.client import ClientProtocol
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

from hoststand.realtime.client import ws_url
from tests.conftest import Restaurant
from tests.realtime.conftest import metric
from tests.servers import ThreadServer
from tests.waiting import eventually

INTERVAL = 0.1
DEADLINE = 0.5  # the pong timeout: a device that does not settle a ping is closed this late
# Given the payloads of the pings so far, the payloads of the pongs the device sends for the last.
Answer = Callable[[list[bytes]], list[bytes]]


def answer_each(pings: list[bytes]) -> list[bytes]:
    """The pong the protocol owes."""
    return [pings[-1]]


def answer_none(pings: list[bytes]) -> list[bytes]:
    """No pong at all."""
    return []


def answer_another_payload(pings: list[bytes]) -> list[bytes]:
    """A pong of the ping's length whose payload is not the ping's."""
    return [bytes(b ^ 0xFF for b in pings[-1])]


def answer_the_first_only(pings: list[bytes]) -> list[bytes]:
    """The first ping answered; each later one with the first's payload again (stale) and an
    unsolicited pong."""
    return [pings[0]] if len(pings) == 1 else [pings[0], os.urandom(4)]


class PingedDevice:
    """A sans-I/O WebSocket device that records the server's pings and answers as told.

    It sends an unsolicited pong and a ping of its own once connected, and records the pongs
    the server answers it with.
    """

    OWN_PING = b"device's own"

    def __init__(self, answer: Answer, *, compression: bool = False) -> None:
        self.answer = answer
        self.compression = compression
        self.pings: list[bytes] = []
        self.pongs: list[bytes] = []
        self.deflated = False
        self.close_code: int | None = None
        self.closed_after = 0.0  # seconds from the last ping to the close, once closed

    async def run(self, url: str, token: str, restaurant_id: str, *, until_pings: int) -> None:
        """Connect, handshake, then read until `until_pings` pings or the close."""
        parts = urlsplit(url)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        extensions = [ClientPerMessageDeflateFactory()] if self.compression else []
        protocol = ClientProtocol(parse_uri(url), extensions=extensions)
        request = protocol.connect()
        request.headers["Authorization"] = f"Bearer {token}"
        protocol.send_request(request)
        loop = asyncio.get_running_loop()
        last_ping = 0.0
        try:
            writer.write(b"".join(protocol.data_to_send()))
            while len(self.pings) < until_pings and self.close_code is None:
                data = await reader.read(65536)
                if not data:
                    break
                protocol.receive_data(data)
                protocol.data_to_send()  # what websockets owes: this device answers itself
                for event in protocol.events_received():
                    if isinstance(event, Response):
                        self.deflated = bool(protocol.extensions)
                        hello = {"type": "restaurant_connect", "restaurant_id": restaurant_id}
                        protocol.send_text(orjson.dumps(hello))
                        protocol.send_pong(b"unasked")
                        protocol.send_ping(self.OWN_PING)
                    elif isinstance(event, Frame) and event.opcode is Opcode.PING:
                        last_ping = loop.time()
                        self.pings.append(bytes(event.data))
                        for payload in self.answer(self.pings):
                            protocol.send_pong(payload)
                    elif isinstance(event, Frame) and event.opcode is Opcode.PONG:
                        self.pongs.append(bytes(event.data))
                    elif isinstance(event, Frame) and event.opcode is Opcode.CLOSE:
                        self.close_code = int.from_bytes(event.data[:2], "big")
                        self.closed_after = loop.time() - last_ping
                writer.write(b"".join(protocol.data_to_send()))
        finally:
            writer.close()


def _keepalive_server(
    start_server: Callable[..., ThreadServer], *, compression: bool = False
) -> ThreadServer:
    """A server that pings every INTERVAL and closes a device whose pong is DEADLINE late."""
    return start_server(
        ws_ping_interval_seconds=INTERVAL,
        ws_ping_timeout_seconds=DEADLINE,
        ws_compression=compression,
    )


async def _pinged(
    srv: ThreadServer, restaurant: Restaurant, device: PingedDevice, until_pings: int
) -> PingedDevice:
    url = ws_url(srv.base_url, restaurant.id, None, "header")
    run = device.run(url, restaurant.tokens["host"], restaurant.id, until_pings=until_pings)
    await asyncio.wait_for(run, 10)
    assert device.deflated is device.compression
    return device


@pytest.mark.parametrize("compression", [False, True], ids=["plain", "deflate"])
async def test_a_device_that_answers_pings_stays_connected(
    start_server: Callable[..., ThreadServer], restaurant: Restaurant, compression: bool
) -> None:
    srv = _keepalive_server(start_server, compression=compression)
    device = await _pinged(srv, restaurant, PingedDevice(answer_each, compression=compression), 8)
    assert len(device.pings) == 8  # eight intervals at least, each ping settled in time
    assert device.close_code is None
    assert len(set(device.pings)) == 8  # each ping its own payload
    assert device.pongs == [PingedDevice.OWN_PING]  # the device's own ping is answered


@pytest.mark.parametrize("compression", [False, True], ids=["plain", "deflate"])
async def test_a_device_that_does_not_answer_is_closed_after_the_timeout(
    start_server: Callable[..., ThreadServer], restaurant: Restaurant, compression: bool
) -> None:
    srv = _keepalive_server(start_server, compression=compression)
    device = await _pinged(srv, restaurant, PingedDevice(answer_none, compression=compression), 9)
    assert device.close_code == 1011  # "keepalive ping timeout"
    assert len(device.pings) == 1  # the next ping waits for the pong
    assert device.closed_after >= DEADLINE * 0.8

    async def forgotten() -> bool:
        return await metric(srv.base_url, "hoststand_connections_open") == 0

    await eventually(forgotten, "the hub to forget the silent device")


async def test_a_pong_with_another_payload_does_not_settle_the_ping(
    start_server: Callable[..., ThreadServer], restaurant: Restaurant
) -> None:
    srv = _keepalive_server(start_server)
    device = await _pinged(srv, restaurant, PingedDevice(answer_another_payload), 9)
    assert device.close_code == 1011
    assert len(device.pings) == 1


async def test_a_stale_or_unsolicited_pong_does_not_reset_the_deadline(
    start_server: Callable[..., ThreadServer], restaurant: Restaurant
) -> None:
    srv = _keepalive_server(start_server)
    device = await _pinged(srv, restaurant, PingedDevice(answer_the_first_only), 9)
    assert device.close_code == 1011
    assert len(device.pings) == 2  # the first settled, the second never
    assert device.closed_after >= DEADLINE * 0.8
