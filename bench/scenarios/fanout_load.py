"""The fan-out scenario's load generator: one worker process's devices, publishers and writers.

A worker connects its share of the rooms, then runs loads on command until told to halt:
"relay" (one publisher per room, closed loop) or "events" (REST guest updates, closed loop,
whose events reach the room's devices). Deliveries and publish timeouts are counted per tenth of
a second, by the wall clock, so that the main process keeps only those inside its window.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import Counter
from typing import Any

import httpx
import orjson

from bench.devices import baseline_device, bounded, hoststand_device
from bench.workers import Control

WORKERS = 2
ARRIVAL_TIMEOUT = 5.0
EVENT_WRITERS = 8  # REST requests in flight per worker in the event-path load


def _payload(room: int, k: int, restaurant_id: str) -> str:
    """About 200 bytes, shaped like a relayed user_action."""
    return orjson.dumps(
        {
            "type": "user_action",
            "action": "table_hover",
            "restaurant_id": restaurant_id,
            "guest_id": f"b{room}-{k}",
            "table_id": "3f1c6a8e-2b7d-4c1e-9a55-0d6f1e2a7b90",
            "timestamp": "2025-09-01T10:00:00Z",
        }
    ).decode()


def _tenth() -> int:
    return int(time.time() * 10)


class Load:
    """One worker's rooms of connected devices, and what they received."""

    def __init__(self, config: dict[str, Any], rooms: list[list[Any]]) -> None:
        self.config = config
        self.rooms = rooms
        self.buckets: Counter[int] = Counter()
        self.timeouts: Counter[int] = Counter()
        self.writes = 0
        self.running = False
        self.waiting: dict[int, tuple[str, asyncio.Future[None]]] = {}
        self.readers = [
            asyncio.create_task(self._read(ws, idx, designated=(j == 1)))
            for idx, members in enumerate(rooms)
            for j, ws in enumerate(members)
        ]

    async def _read(self, ws: Any, room: int, designated: bool) -> None:
        with contextlib.suppress(Exception):
            async for text in ws:
                self.buckets[_tenth()] += 1
                if designated and room in self.waiting:
                    marker, fut = self.waiting[room]
                    if marker in text and not fut.done():
                        fut.set_result(None)

    async def _publish(self, room: int) -> None:
        ws, restaurant_id = self.rooms[room][0], self.config["rooms"][room]["id"]
        loop = asyncio.get_running_loop()
        for k in itertools.count(1):
            fut = loop.create_future()
            self.waiting[room] = (f'"b{room}-{k}"', fut)
            await ws.send(_payload(room, k, restaurant_id))
            if not self.running:
                return  # websockets' send can swallow a cancellation: this flag cannot be missed
            try:
                await asyncio.wait_for(fut, ARRIVAL_TIMEOUT)
            except TimeoutError:
                self.timeouts[_tenth()] += 1

    async def _write_events(self, http: httpx.AsyncClient, offset: int) -> None:
        rooms = self.config["rooms"]
        for n in itertools.count(offset, EVENT_WRITERS):
            if not self.running:
                return
            room = rooms[n % len(rooms)]
            response = await http.patch(
                f"/api/v1/restaurants/{room['id']}/guests/{room['guest']}",
                json={"notes": f"n{n}"},
                headers={"Authorization": f"Bearer {room['token']}"},
            )
            response.raise_for_status()
            self.writes += 1

    async def run(self, load: str, ctl: Control) -> dict[str, Any]:
        """Run `load` until the main process says halt; what arrived, per tenth."""
        self.buckets.clear()
        self.timeouts.clear()
        self.writes = 0
        self.running = True
        async with httpx.AsyncClient(base_url=self.config["base_url"], timeout=30.0) as http:
            if load == "events":
                tasks = [
                    asyncio.create_task(self._write_events(http, i)) for i in range(EVENT_WRITERS)
                ]
            else:
                tasks = [asyncio.create_task(self._publish(i)) for i in range(len(self.rooms))]
            await ctl.recv()  # halt
            self.running = False
            for task in tasks:
                task.cancel()
            for _, fut in self.waiting.values():
                fut.cancel()  # a publisher that missed its cancellation stops here
            results = await asyncio.gather(*tasks, return_exceptions=True)
        self.waiting.clear()
        await asyncio.sleep(0.2)  # what is in flight lands outside the window, then is forgotten
        failed = [r for r in results if not isinstance(r, asyncio.CancelledError | None)]
        if failed:
            raise RuntimeError(f"{len(failed)} {load} tasks failed, e.g. {failed[0]!r}")
        return {
            "buckets": dict(self.buckets),
            "timeouts": dict(self.timeouts),
            "writes": self.writes,
        }

    def close(self) -> None:
        """Drop every socket."""
        for members in self.rooms:
            for ws in members:
                ws.transport.abort()


async def _connect(config: dict[str, Any]) -> list[list[Any]]:
    base, per_room, compression = config["base_url"], config["per_room"], config["compression"]
    factories = []
    for room in config["rooms"]:
        for _ in range(per_room):
            if config["mode"] == "hoststand":
                factories.append(
                    lambda r=room: hoststand_device(
                        base, r["id"], r["token"], compression=compression
                    )
                )
            else:
                factories.append(
                    lambda r=room: baseline_device(base, r["id"], compression=compression)
                )
    sockets = await bounded(factories)
    sockets = [s[0] if isinstance(s, tuple) else s for s in sockets]
    return [sockets[i : i + per_room] for i in range(0, len(sockets), per_room)]


async def worker(config: dict[str, Any], ctl: Control) -> None:
    """Connect this worker's rooms, then run loads on command until told to exit."""
    try:
        load = Load(config, await _connect(config))
        ctl.send({"ready": sum(len(r) for r in load.rooms)})
        while (command := await ctl.recv())[0] == "run":
            ctl.send(await load.run(command[1], ctl))
        load.close()
    except Exception as exc:  # report, don't hang the main process
        ctl.send({"error": repr(exc)})
