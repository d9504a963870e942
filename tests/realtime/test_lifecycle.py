"""How connections end: handshake timeout, too slow, shutdown, and cleanup after.

Keepalive (protocol pings and their pongs) is tested in test_keepalive.py.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from hoststand.realtime.client import open_feed
from hoststand.store import migrate
from tests.conftest import Api, Backend, Restaurant
from tests.realtime.conftest import (
    TIMEOUT,
    Connect,
    Device,
    RawConnect,
    metric,
    small_socket,
)
from tests.servers import ThreadServer
from tests.waiting import eventually


async def test_no_restaurant_connect_in_time_closes_with_4408(
    start_server: Callable[..., ThreadServer], restaurant: Restaurant, connect_raw: RawConnect
) -> None:
    srv = start_server(handshake_timeout_seconds=0.3)
    device = await connect_raw(srv.base_url, restaurant.id, restaurant.tokens["host"])
    await device.send({"type": "ping"})  # pings do not count as a handshake
    assert (await device.recv())["type"] == "pong"
    assert (await device.closed()).code == 4408
    assert await metric(srv.base_url, "hoststand_handshakes_total", 'outcome="timeout"') == 1


async def test_a_device_that_falls_behind_is_closed_with_4409_and_resumes(
    start_server: Callable[..., ThreadServer], restaurant: Restaurant
) -> None:
    srv = start_server(ws_queue_limit=1)
    table = await restaurant.table("4", capacity=4)
    guest = await restaurant.guest("Schmidt", party_size=2)
    token = restaurant.tokens["host"]
    ws, hello = await open_feed(srv.base_url, restaurant.id, token)
    device = Device(ws, hello)
    # An assignment emits two events at once: one more than this device may have queued.
    await restaurant.client("host").ok(
        "POST", f"{restaurant.path}/tables/{table['id']}/assign", json={"guest_id": guest["id"]}
    )
    closing = await device.closed()
    assert closing.code == 4409
    assert "resume" in closing.reason
    assert await metric(srv.base_url, "hoststand_overflow_closes_total") == 1
    ws, hello = await open_feed(srv.base_url, restaurant.id, token, last_seq=hello["seq"])
    async with ws:
        resumed = Device(ws, hello)
        assert hello["resumed"] is True
        events = await resumed.recv_many(2)
        assert [(e["type"], e["action"]) for e in events] == [
            ("table_updated", "assigned"),
            ("guest_updated", "status_changed"),
        ]
        assert [e["seq"] for e in events] == [hello["seq"] - 1, hello["seq"]]


async def test_the_queue_limit_bounds_one_turn_of_the_loop_not_a_device_s_whole_feed(
    start_server: Callable[..., ThreadServer], restaurant: Restaurant, connect: Connect
) -> None:
    srv = start_server(ws_queue_limit=2)
    device = await connect(restaurant, base_url=srv.base_url)
    for n in range(6):  # three times the limit, one message a turn
        guest = await restaurant.guest(f"Turn {n}")
        assert (await device.recv())["guest_id"] == guest["id"]
    await device.assert_quiet()
    assert await metric(srv.base_url, "hoststand_overflow_closes_total") == 0


async def test_a_device_that_stops_reading_is_closed_with_4409_and_never_slows_the_others(
    start_server: Callable[..., ThreadServer], restaurant: Restaurant, connect: Connect
) -> None:
    srv = start_server(ws_queue_limit=50)
    healthy = await connect(restaurant, base_url=srv.base_url)
    # A small receive buffer, and a device that asks for pongs but never reads them.
    ws, _ = await open_feed(
        srv.base_url, restaurant.id, restaurant.tokens["host"], sock=small_socket(srv.base_url)
    )
    slow = Device(ws, {})
    ping = orjson.dumps({"type": "ping"}).decode()

    async def overflowed() -> bool:
        for _ in range(500):
            await slow.ws.send(ping)
        return await metric(srv.base_url, "hoststand_overflow_closes_total") == 1

    await eventually(overflowed, "the silent device to overflow", timeout=30)
    guest = await restaurant.guest("Unbothered")
    assert (await healthy.recv())["guest_id"] == guest["id"]
    await healthy.assert_quiet()
    assert (await slow.closed(timeout=30)).code == 4409


async def test_shutdown_closes_devices_with_1012(
    start_server: Callable[..., ThreadServer], restaurant: Restaurant, connect: Connect
) -> None:
    srv = start_server()
    device = await connect(restaurant, base_url=srv.base_url)
    stopping = asyncio.create_task(asyncio.to_thread(srv.stop))
    closing = await device.closed()
    await stopping
    assert closing.code == 1012


async def test_the_hub_forgets_every_closed_connection(
    start_server: Callable[..., ThreadServer], api: Api, connect: Connect, connect_raw: RawConnect
) -> None:
    srv = start_server(ws_queue_limit=1)
    first, second = await api.restaurant("One"), await api.restaurant("Two")
    devices = [await connect(r, base_url=srv.base_url) for r in (first, first, second)]
    assert await metric(srv.base_url, "hoststand_connections_open") == 3
    assert await metric(srv.base_url, "hoststand_rooms_open") == 2
    # One leaves politely, one is closed by the server (4409), one drops its TCP connection.
    await devices[0].close()
    table, guest = await first.table(), await first.guest()
    await first.client("host").ok(
        "POST", f"{first.path}/tables/{table['id']}/assign", json={"guest_id": guest["id"]}
    )
    assert (await devices[1].closed()).code == 4409
    devices[2].ws.transport.abort()
    # A handshake that never finishes leaves nothing behind either.
    half = await connect_raw(srv.base_url, second.id, second.tokens["host"])
    await half.close()

    async def empty() -> bool:
        return (
            await metric(srv.base_url, "hoststand_connections_open") == 0
            and await metric(srv.base_url, "hoststand_rooms_open") == 0
        )

    await eventually(empty, "every connection and room to be gone")

    async def rooms() -> int:
        return len(srv.runtime.hub.rooms)

    assert srv.call(rooms()) == 0


async def test_deleting_the_restaurant_closes_its_devices_with_4404_and_frees_the_room(
    start_server: Callable[..., ThreadServer], api: Api, connect: Connect
) -> None:
    # The other instance has a broker of its own: it learns of the deletion from its log poll,
    # from the deletion's tombstone, or from its first poll, a sweep, when that comes after the
    # delete (tests/scaleout/test_deletion.py pins the tombstone's path without sweeps).
    srv = start_server(log_sweep_interval_seconds=0.5)
    doomed, other = await api.restaurant("Closing down"), await api.restaurant("Staying")
    # One device on the instance that deletes (told by the broker), one on another (by the log).
    here = await connect(doomed)
    there = await connect(doomed, base_url=srv.base_url)
    survivor = await connect(other, base_url=srv.base_url)
    await api.ok("DELETE", doomed.path, 204)
    assert (await here.closed()).code == 4404
    assert (await there.closed()).code == 4404

    async def freed() -> bool:
        return await metric(srv.base_url, "hoststand_rooms_open") == 1

    await eventually(freed, "the deleted restaurant's room to close")
    assert await metric(srv.base_url, "hoststand_connections_open") == 1
    await survivor.assert_quiet()


async def test_a_device_joining_while_its_restaurant_is_deleted_is_closed_with_4404(
    tmp_path: Path, connect: Connect, connect_raw: RawConnect
) -> None:
    # SQLite's writer keeps its own connection: with a pool of two, the test holds the other,
    # and the joiner's first read of the database waits for it while the delete commits.
    backend = Backend("sqlite", f"sqlite+aiosqlite:///{tmp_path / 'deleting.db'}")
    await asyncio.to_thread(migrate.upgrade, backend.url)
    hour = 3600.0  # no log poll or sweep during the test: only the delete's publish counts
    srv = ThreadServer(
        backend.settings(
            database_pool_size=1,
            log_poll_interval_seconds=hour,
            log_sweep_interval_seconds=hour,
            token_cache_seconds=hour,
        )
    ).start()
    api = Api(srv.base_url)
    try:
        doomed = await api.restaurant("Closing down")
        staying = await connect(doomed, base_url=srv.base_url)
        room = srv.runtime.hub.rooms[uuid.UUID(doomed.id)]
        release = srv.call(_new_event())
        entered = threading.Event()

        async def hold_the_free_connection() -> None:
            async with srv.runtime.ctx.db.read():
                entered.set()
                await release.wait()

        holding = asyncio.run_coroutine_threadsafe(hold_the_free_connection(), srv.loop)
        assert await asyncio.to_thread(entered.wait, TIMEOUT)
        joiner = await connect_raw(srv.base_url, doomed.id, doomed.tokens["host"])
        # A last_seq ahead of the room: the join reads the restaurant's seq first (and waits).
        await joiner.send(
            {"type": "restaurant_connect", "restaurant_id": doomed.id, "last_seq": 10**6}
        )

        async def waiting() -> bool:
            return room.joining == 1

        await eventually(waiting, "the joiner to wait for the database")
        await api.ok("DELETE", doomed.path, 204)
        assert (await staying.closed()).code == 4404
        srv.loop.call_soon_threadsafe(release.set)
        await asyncio.wrap_future(holding)
        assert (await joiner.closed()).code == 4404
    finally:
        await api.close()
        srv.stop()


async def _new_event() -> asyncio.Event:
    return asyncio.Event()


async def test_a_handshake_the_database_fails_closes_with_1011_and_counts_an_error(
    tmp_path: Path, connect_raw: RawConnect
) -> None:
    path = tmp_path / "failing.db"
    backend = Backend("sqlite", f"sqlite+aiosqlite:///{path}")
    await asyncio.to_thread(migrate.upgrade, backend.url)
    srv = ThreadServer(backend.settings()).start()
    api = Api(srv.base_url)
    try:
        restaurant = await api.restaurant()
        with sqlite3.connect(path) as db:  # under the running server: its token check fails
            db.execute("ALTER TABLE api_tokens RENAME TO api_tokens_gone")
        device = await connect_raw(srv.base_url, restaurant.id, restaurant.tokens["viewer"])
        await device.send({"type": "restaurant_connect", "restaurant_id": restaurant.id})
        assert (await device.closed()).code == 1011
        assert await metric(srv.base_url, "hoststand_handshakes_total", 'outcome="error"') == 1
    finally:
        await api.close()
        srv.stop()


async def test_a_handshake_while_the_database_is_unreachable_is_logged_in_words(
    tmp_path: Path, connect_raw: RawConnect, caplog: pytest.LogCaptureFixture
) -> None:
    # Every device meets an outage: one line each that says what is wrong, no traceback.
    caplog.set_level(logging.INFO)
    url = f"sqlite+aiosqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}"
    srv = ThreadServer(Backend("sqlite", url).settings()).start()
    try:
        restaurant_id = str(uuid.uuid4())
        device = await connect_raw(srv.base_url, restaurant_id, "hs_" + "x" * 43)
        await device.send({"type": "restaurant_connect", "restaurant_id": restaurant_id})
        assert (await device.closed()).code == 1011
    finally:
        srv.stop()
    said = "handshake of a device failed: database unreachable: cannot open the SQLite file"
    assert any(m.startswith(said) for m in caplog.messages), caplog.messages
    tracebacks = [r for r in caplog.records if r.exc_info and r.levelno >= logging.INFO]
    assert tracebacks == []
