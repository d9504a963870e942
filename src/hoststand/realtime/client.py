"""A client of the feed, as a device should be written: snapshot, connect, apply, resume.

Used by `hoststand tail`, the benchmarks and the tests.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode

import httpx
import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

TokenVia = Literal["header", "query", "message"]
EVENT_TYPES = frozenset({"guest_updated", "table_updated", "data_change"})


FATAL_CLOSE_CODES = frozenset({4401, 4403, 4404})


class Refused(Exception):
    """The server refuses this client for good (bad token, wrong restaurant)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"refused ({code}): {reason}")
        self.code = code


class GapError(Exception):
    """An event arrived out of order: the server broke its promise."""


def ws_url(base_url: str, restaurant_id: uuid.UUID | str, token: str | None, via: TokenVia) -> str:
    """The /realtime URL for a base http(s) URL."""
    query: dict[str, str] = {"restaurant_id": str(restaurant_id)}
    if token and via == "query":
        query["token"] = token
    scheme_base = base_url.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
    return f"{scheme_base.rstrip('/')}/realtime?{urlencode(query)}"


async def open_feed(
    base_url: str,
    restaurant_id: uuid.UUID | str,
    token: str | None,
    *,
    last_seq: int | None = None,
    via: TokenVia = "header",
    device_id: str | None = None,
    timeout: float = 10.0,
    **connect_args: Any,
) -> tuple[ClientConnection, dict[str, Any]]:
    """Connect and handshake; returns the socket and the server's first answer."""
    headers = {"Authorization": f"Bearer {token}"} if token and via == "header" else {}
    ws = await connect(
        ws_url(base_url, restaurant_id, token, via),
        additional_headers=headers,
        open_timeout=timeout,
        max_size=None,
        **connect_args,
    )
    hello: dict[str, Any] = {
        "type": "restaurant_connect",
        "restaurant_id": str(restaurant_id),
        "platform": "hoststand-client",
        "version": "1.0",
    }
    if last_seq is not None:
        hello["last_seq"] = last_seq
    if token and via == "message":
        hello["token"] = token
    if device_id:
        hello["device_id"] = device_id
    await ws.send(orjson.dumps(hello).decode())
    answer = orjson.loads(await asyncio.wait_for(ws.recv(), timeout))
    return ws, answer


@dataclass
class SyncState:
    """What a device knows: the restaurant, its tables and guests, as of `seq`."""

    seq: int = 0
    restaurant: dict[str, Any] | None = None
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    guests: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_snapshot(cls, snapshot: dict[str, Any]) -> SyncState:
        """Start from GET .../snapshot."""
        return cls(
            seq=snapshot["seq"],
            restaurant=snapshot["restaurant"],
            tables={t["id"]: t for t in snapshot["tables"]},
            guests={g["id"]: g for g in snapshot["guests"]},
        )

    def apply(self, event: dict[str, Any]) -> None:
        """Apply the next event; raise GapError unless it is exactly seq + 1."""
        if event["seq"] != self.seq + 1:
            raise GapError(f"expected seq {self.seq + 1}, got {event['seq']}")
        self.seq = event["seq"]
        kind, data = event["type"], event.get("data")
        if kind == "guest_updated":
            _put(self.guests, event["guest_id"], data)
        elif kind == "table_updated":
            _put(self.tables, event["table_id"], data)
        elif kind == "data_change" and event.get("scope") == "restaurant" and data:
            self.restaurant = data


def _put(items: dict[str, dict[str, Any]], key: str, data: dict[str, Any] | None) -> None:
    if data is None:
        items.pop(key, None)
    else:
        items[key] = data


Handler = Callable[[dict[str, Any]], Awaitable[None] | None]


class Follower:
    """Follows one restaurant forever: snapshot, live events, resume after every drop."""

    def __init__(
        self,
        base_url: str,
        restaurant_id: uuid.UUID | str,
        token: str,
        *,
        on_message: Handler | None = None,
        on_status: Callable[[str], None] | None = None,
        max_backoff: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.restaurant_id = str(restaurant_id)
        self.token = token
        self.on_message = on_message
        self.on_status = on_status or (lambda _status: None)
        self.max_backoff = max_backoff
        self.state: SyncState | None = None

    async def fetch_snapshot(self) -> SyncState:
        """GET the snapshot into a fresh state."""
        async with httpx.AsyncClient(timeout=10.0) as http:
            response = await http.get(
                f"{self.base_url}/api/v1/restaurants/{self.restaurant_id}/snapshot",
                headers={"Authorization": f"Bearer {self.token}"},
            )
            response.raise_for_status()
        self.state = state = SyncState.from_snapshot(response.json())
        tables, people = len(state.tables), len(state.guests)
        self.on_status(f"snapshot at seq {state.seq}: {tables} tables, {people} guests")
        return state

    async def run(self) -> None:
        """Follow until cancelled; raise Refused when the server will never accept us."""
        attempt = 0
        while True:
            try:
                if self.state is None:
                    await self.fetch_snapshot()
                resync = await self._follow_once()
                attempt = 0
                if resync:
                    continue
                self.on_status("reconnecting (closed)")
            except ConnectionClosed as exc:
                code = exc.rcvd.code if exc.rcvd else 1006
                if code in FATAL_CLOSE_CODES:
                    raise Refused(code, exc.rcvd.reason if exc.rcvd else "") from None
                self.on_status(f"reconnecting (closed {code})")
            except httpx.HTTPStatusError as exc:
                if exc.response.status_code in {401, 403, 404}:
                    raise Refused(exc.response.status_code, exc.response.text) from None
                self.on_status(f"reconnecting (HTTP {exc.response.status_code})")
            except (OSError, httpx.HTTPError, TimeoutError) as exc:
                self.on_status(f"reconnecting ({type(exc).__name__})")
            attempt += 1
            delay = min(self.max_backoff, 0.25 * 2 ** min(attempt, 6))
            await asyncio.sleep(random.uniform(0, delay))  # full jitter

    async def _follow_once(self) -> bool:
        """Follow one connection; True when it ended asking for an immediate resync."""
        assert self.state is not None
        ws, answer = await open_feed(
            self.base_url, self.restaurant_id, self.token, last_seq=self.state.seq
        )
        async with ws:
            if answer.get("type") != "connection_established":
                raise ConnectionError(f"handshake refused: {answer}")
            self.on_status("live")
            await self._handle(answer)
            async for raw in ws:
                if await self._handle(orjson.loads(raw)):
                    return True
        return False

    async def _handle(self, message: dict[str, Any]) -> bool:
        """Hand a message on, and apply it; True when the server asks for a resync."""
        if self.on_message is not None:
            result = self.on_message(message)
            if result is not None:
                await result
        kind = message.get("type")
        if kind == "resync_required":
            # Too far behind for the log: start over from a snapshot, at once.
            self.state = None
            self.on_status("resyncing")
            return True
        if kind in EVENT_TYPES:
            assert self.state is not None
            self.state.apply(message)
        return False
