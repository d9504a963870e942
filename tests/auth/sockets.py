"""Opening /realtime sockets with a token passed each way, and reading how they close."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from hoststand.realtime.client import TokenVia, ws_url


def connect_message(restaurant_id: str, token: str | None = None) -> str:
    """A restaurant_connect as the iOS app sends it, with an optional token field."""
    hello: dict[str, Any] = {
        "type": "restaurant_connect",
        "restaurant_id": restaurant_id,
        "platform": "iOS",
        "version": "2.0.0",
    }
    if token is not None:
        hello["token"] = token
    return orjson.dumps(hello).decode()


async def open_socket(
    base_url: str, restaurant_id: str, token: str | None, via: TokenVia = "header"
) -> ClientConnection:
    """A /realtime socket that sent restaurant_connect, the token passed `via` header, query
    parameter or message field."""
    headers = {"Authorization": f"Bearer {token}"} if token and via == "header" else {}
    ws = await connect(
        ws_url(base_url, restaurant_id, token, via), additional_headers=headers, open_timeout=10
    )
    await ws.send(connect_message(restaurant_id, token if via == "message" else None))
    return ws


async def first_message(ws: ClientConnection) -> dict[str, Any]:
    """The server's answer to the handshake."""
    answer: dict[str, Any] = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
    return answer


async def received_within(ws: ClientConnection, text: str, seconds: float) -> bool:
    """Whether a message containing `text` arrives within `seconds` (others are skipped)."""

    async def scan() -> bool:
        while text not in str(await ws.recv()):
            pass
        return True

    return await asyncio.wait_for(scan(), seconds)


async def closed_within(ws: ClientConnection, seconds: float) -> int:
    """Read until the server closes the socket; its close code. Times out after `seconds`."""

    async def drain() -> int:
        try:
            while True:
                await ws.recv()
        except ConnectionClosed as closed:
            if closed.rcvd is None:
                raise AssertionError("closed without a close frame from the server") from closed
            return closed.rcvd.code

    return await asyncio.wait_for(drain(), seconds)


async def handshake_close_code(
    base_url: str, restaurant_id: str, token: str | None, via: TokenVia = "header"
) -> int:
    """The close code the server answers a handshake with (times out if it accepts it)."""
    ws = await open_socket(base_url, restaurant_id, token, via)
    async with ws:
        return await closed_within(ws, 10)


async def still_open(ws: ClientConnection) -> bool:
    """True when the socket still answers a ping with a pong."""
    await ws.send('{"type": "ping"}')
    while True:
        message = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
        if message["type"] == "pong":
            return True
