"""A randomised run: writers change guests and tables while devices drop and resume at random.

At the end every device has received exactly the events 1..N of its restaurant, in order, and
the state it rebuilt from them equals a fresh snapshot. Devices rotate between three server
instances on the same database, so resumes cross instances: the writers' own (events come by
the broker), one with tiny replay pages (events come from the log, by its poller), and one
with a queue of 3 messages that closes devices falling behind with 4409 (they resume).
Set HOSTSTAND_TEST_SEED to replay a run's choices (timing still varies).
"""

from __future__ import annotations

import asyncio
import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from websockets.exceptions import ConnectionClosed

from hoststand.realtime.client import SyncState, open_feed
from tests.conftest import Api, Restaurant
from tests.realtime.conftest import EVENT_TYPES
from tests.servers import ThreadServer

SEED = int(os.environ.get("HOSTSTAND_TEST_SEED", random.randrange(1_000_000)))
RESTAURANTS = 2
WRITERS = 2  # per restaurant
OPERATIONS = 40  # per writer
DEVICES = 3  # per restaurant, following from seq 0
REFUSALS = {404, 409, 412, 422}  # concurrent writers step on each other: refused, emits nothing


@dataclass
class Progress:
    """How far one restaurant's writers are; devices wait on it to miss some events."""

    changes: int = 0
    done: bool = False
    final_seq: int | None = None
    moved: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def advance(self) -> None:
        """Count one accepted change."""
        async with self.moved:
            self.changes += 1
            self.moved.notify_all()

    async def wait_for(self, changes: int) -> None:
        """Until `changes` changes were made, or the writers are done."""
        async with self.moved:
            await self.moved.wait_for(lambda: self.changes >= changes or self.done)


class Writer:
    """Random changes of one restaurant through the REST API (so through the services)."""

    def __init__(self, restaurant: Restaurant, rng: random.Random, progress: Progress) -> None:
        self.restaurant = restaurant
        self.rng = rng
        self.progress = progress
        self.http = restaurant.client("owner")
        self.guests: list[str] = []
        self.tables: list[str] = []

    async def run(self, operations: int) -> None:
        """Make `operations` attempts; refused ones are fine, server errors are not."""
        try:
            for _ in range(operations):
                method, path, body = self._pick()
                response = await self.http.request(method, path, json=body)
                assert response.status_code < 300 or response.status_code in REFUSALS, (
                    method,
                    path,
                    response.status_code,
                    response.text,
                )
                if response.status_code < 300:
                    self._remember(path, response)
                    await self.progress.advance()
        finally:
            await self.http.close()

    def _remember(self, path: str, response: httpx.Response) -> None:
        if response.status_code == 201:
            created = response.json()
            (self.tables if path.endswith("/tables") else self.guests).append(created["id"])

    def _pick(self) -> tuple[str, str, dict[str, Any] | None]:
        base, rng = self.restaurant.path, self.rng
        guest = rng.choice(self.guests) if self.guests else None
        table = rng.choice(self.tables) if self.tables else None
        choices: list[tuple[str, str, dict[str, Any] | None]] = [
            ("POST", f"{base}/guests", {"name": f"G{rng.randrange(999)}", "party_size": 2}),
            ("POST", f"{base}/tables", {"label": f"T{rng.randrange(10**6)}", "capacity": 4}),
        ]
        if guest:
            path = f"{base}/guests/{guest}"
            status = rng.choice(["notified", "arrived", "waiting", "cancelled"])
            choices += [
                ("PATCH", path, {"party_size": rng.randint(1, 6), "notes": f"n{rng.random()}"}),
                ("PATCH", path, {"status": status}),
                ("DELETE", path, None),
            ]
        if table:
            path = f"{base}/tables/{table}"
            choices += [
                ("PATCH", path, {"section": rng.choice(["bar", "patio", "main"])}),
                ("PATCH", path, {"status": rng.choice(["available", "out_of_service"])}),
                ("POST", f"{path}/release", None),
                ("DELETE", path, None),
            ]
        if guest and table:
            choices += [("POST", f"{base}/tables/{table}/assign", {"guest_id": guest})] * 3
        if rng.random() < 0.03:
            choices = [("PATCH", base, {"name": f"Bistro {rng.randrange(99)}"})]
        return rng.choice(choices)


class RandomDevice:
    """A device that follows its restaurant, dropping and resuming at random points."""

    def __init__(
        self,
        restaurant: Restaurant,
        servers: list[str],
        rng: random.Random,
        progress: Progress,
        state: SyncState,
    ) -> None:
        self.restaurant = restaurant
        self.servers = servers
        self.rng = rng
        self.progress = progress
        self.state = state
        self.started_at = state.seq
        self.received: list[int] = []
        self.connections = 0
        self.overflows = 0

    async def run(self) -> None:
        """Follow until the writers are done and this device has their last event."""
        while not self._finished():
            base_url = self.servers[self.connections % len(self.servers)]
            self.connections += 1
            # An unbounded client queue: with websockets' default, a device that closes with
            # more than 16 messages unread waits 10 s for the close handshake.
            try:
                ws, hello = await open_feed(
                    base_url,
                    self.restaurant.id,
                    self.restaurant.tokens["viewer"],
                    last_seq=self.state.seq,
                    max_queue=None,
                )
            except ConnectionClosed as exc:
                # Events that arrive while a device joins wait in its queue too: on the
                # instance with a queue of 3 it can overflow before the greeting.
                self._dropped(exc.rcvd.code if exc.rcvd else None)
                continue
            assert (hello["type"], hello["resumed"]) == ("connection_established", True), hello
            await self._follow(ws, budget=self.rng.randint(1, 12))
            if self.rng.random() < 0.3:
                ws.transport.abort()  # vanish without a close handshake, like a phone going dark
            else:
                await ws.close()
            await self.progress.wait_for(self.progress.changes + self.rng.randint(0, 4))

    async def _follow(self, ws: Any, budget: int) -> None:
        """Apply events until `budget` of them arrived, the end is reached, or a 4409."""
        close_code: int | None = None
        while budget > 0 and not self._finished():
            try:
                message = orjson.loads(await asyncio.wait_for(ws.recv(), 0.25))
            except TimeoutError:
                continue  # nothing yet: look again whether the writers are done
            except ConnectionClosed as exc:
                close_code = exc.rcvd.code if exc.rcvd else None
                break
            assert message["type"] != "resync_required", message
            if message["type"] in EVENT_TYPES:
                self.state.apply(message)  # raises GapError on a gap or a duplicate
                self.received.append(message["seq"])
                budget -= 1
        if close_code is None:
            close_code = ws.close_code  # closed while this device was not reading
        if close_code is not None:
            self._dropped(close_code)

    def _dropped(self, close_code: int | None) -> None:
        # Only the instance with a tiny queue closes devices: they fell behind, and resume.
        assert close_code == 4409, close_code
        self.overflows += 1

    def _finished(self) -> bool:
        final = self.progress.final_seq
        return final is not None and self.state.seq >= final


async def _restaurant_run(
    api: Api, servers: list[str], rng: random.Random, index: int
) -> tuple[Restaurant, list[RandomDevice], Progress]:
    restaurant = await api.restaurant(f"Random {index}")
    progress = Progress()
    devices = [
        RandomDevice(
            restaurant,
            servers,
            random.Random(rng.random()),
            progress,
            SyncState(seq=0, restaurant=restaurant.body),  # from before the first event
        )
        for _ in range(DEVICES)
    ]
    writers = [Writer(restaurant, random.Random(rng.random()), progress) for _ in range(WRITERS)]
    following = [asyncio.create_task(d.run()) for d in devices]
    writing = [asyncio.create_task(w.run(OPERATIONS)) for w in writers]
    # A device that joins mid-way, from a snapshot, as the sync recipe says.
    await progress.wait_for(OPERATIONS // 2)
    late = RandomDevice(
        restaurant,
        servers,
        random.Random(rng.random()),
        progress,
        SyncState.from_snapshot(await restaurant.snapshot()),
    )
    following.append(asyncio.create_task(late.run()))
    await asyncio.gather(*writing)
    progress.final_seq = (await restaurant.snapshot())["seq"]
    async with progress.moved:
        progress.done = True
        progress.moved.notify_all()
    everyone = [*devices, late]
    try:
        await asyncio.wait_for(asyncio.gather(*following), 30)
    except TimeoutError:
        stuck = [d.state.seq for d in everyone]
        raise AssertionError(f"devices stuck at {stuck}, last {progress.final_seq}") from None
    return restaurant, everyone, progress


async def test_devices_that_drop_and_resume_at_random_end_in_sync(
    start_server: Callable[..., ThreadServer], server: ThreadServer, api: Api
) -> None:
    print(f"random seed {SEED} (HOSTSTAND_TEST_SEED={SEED} replays this run)")
    rng = random.Random(SEED)
    paged = start_server(replay_page_size=3)
    tight = start_server(ws_queue_limit=3)
    servers = [server.base_url, paged.base_url, tight.base_url]
    runs = await asyncio.gather(
        *(_restaurant_run(api, servers, random.Random(rng.random()), i) for i in range(RESTAURANTS))
    )
    for restaurant, devices, progress in runs:
        final = await restaurant.snapshot()
        assert final["seq"] == progress.final_seq
        assert progress.changes >= OPERATIONS // 4  # the run did change things
        expected = SyncState.from_snapshot(final)
        for device in devices:
            assert device.received == list(range(device.started_at + 1, final["seq"] + 1))
            assert device.state == expected
        veterans = devices[:-1]
        assert all(d.started_at == 0 for d in veterans)
        assert all(d.connections > 2 for d in veterans)
