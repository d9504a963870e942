"""Test devices that follow a restaurant across instances and check every event is the next one."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

import orjson
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from hoststand.realtime.client import EVENT_TYPES, SyncState, open_feed
from tests.waiting import eventually

RECONNECT_PAUSE = 0.05


class Device:
    """A device of one restaurant, resuming with last_seq on the next instance after each drop.

    It starts from seq 0, so it must end up holding exactly seq 1..N of its restaurant.
    SyncState.apply raises on a gap or a duplicate, which ends the device with that error.
    """

    def __init__(self, urls: Sequence[str], restaurant_id: str, token: str) -> None:
        self.urls = list(urls)
        self.restaurant_id = restaurant_id
        self.token = token
        self.state = SyncState()
        self.messages: list[str] = []
        self.established: list[str] = []  # the instance of each connection, in order
        self.close_codes: list[int | None] = []
        self._hops = 0
        self._task: asyncio.Task[None] | None = None

    @property
    def seqs(self) -> list[int]:
        """The seq of every event received, in order of arrival."""
        return [orjson.loads(m)["seq"] for m in self.messages]

    def start(self) -> Device:
        """Connect (to urls[0] first) and follow until stopped."""
        self._task = asyncio.create_task(self._run(), name=f"device-{self.restaurant_id[:8]}")
        return self

    async def stop(self) -> None:
        """Disconnect for good."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def _check_alive(self) -> None:
        if self._task is not None and self._task.done() and not self._task.cancelled():
            self._task.result()  # raises what ended the device (a GapError, say)

    async def wait_connected(self, count: int = 1, timeout: float = 10.0) -> None:
        """Wait until the device has been established `count` times."""

        def connected() -> bool:
            self._check_alive()
            return len(self.established) >= count

        await eventually(connected, f"device connection #{count}", timeout=timeout)

    async def wait_for_seq(self, seq: int, timeout: float = 10.0) -> float:
        """Wait until the device holds seq; return the seconds it took."""

        def reached() -> bool:
            self._check_alive()
            return self.state.seq >= seq

        return await eventually(
            reached, f"seq {seq} on a device (has {self.state.seq})", timeout=timeout
        )

    async def _run(self) -> None:
        while True:
            url = self.urls[self._hops % len(self.urls)]
            # An instance that is gone or going refuses: try the next one.
            with contextlib.suppress(OSError, TimeoutError, InvalidHandshake):
                await self._follow(url)
            self._hops += 1
            await asyncio.sleep(RECONNECT_PAUSE)

    async def _follow(self, url: str) -> None:
        ws, hello = await open_feed(url, self.restaurant_id, self.token, last_seq=self.state.seq)
        async with ws:
            if hello.get("type") != "connection_established":
                raise AssertionError(f"handshake refused by {url}: {hello}")
            self.established.append(url)
            try:
                async for raw in ws:
                    self._take(raw)
            except ConnectionClosed:
                pass
        self.close_codes.append(ws.close_code)

    def _take(self, raw: str | bytes) -> None:
        message: dict[str, Any] = orjson.loads(raw)
        kind = message.get("type")
        if kind == "resync_required":
            raise AssertionError(f"the server asked for a resync: {message}")
        if kind in EVENT_TYPES:
            self.state.apply(message)
            self.messages.append(raw if isinstance(raw, str) else raw.decode())


async def stop_all(devices: Sequence[Device]) -> None:
    """Disconnect every device."""
    await asyncio.gather(*(d.stop() for d in devices))
