"""SIGTERM: stop accepting, close sockets with 1012, finish requests in flight within a timeout."""

from __future__ import annotations

import asyncio
import signal

import httpx
import orjson

from tests.conftest import Api, Backend, Restaurant
from tests.scaleout.conftest import Clients, Launch
from tests.scaleout.devices import Device, stop_all
from tests.scaleout.row_lock import RowLock
from tests.servers import ProcessServer
from tests.waiting import eventually

STATE_TIMEOUT = 15.0
WRITE_PACE_SECONDS = 0.02  # pacing of the background writer, not synchronisation
SERVER_RESTARTING = 1012


async def refuses_connections(server: ProcessServer) -> bool:
    """True once the server no longer accepts TCP connections."""
    async with httpx.AsyncClient(timeout=2.0) as http:
        try:
            await http.get(f"{server.base_url}/healthz")
        except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError):
            # Refused, or accepted by the closing listener's backlog and dropped unanswered.
            return True
    return False


async def keep_writing(api: Api, restaurant: Restaurant, stop: asyncio.Event) -> int:
    """Create guests until told to stop; return how many."""
    made = 0
    while not stop.is_set():
        body = {"name": f"Walk-in {made}", "party_size": 2}
        await api.ok("POST", f"{restaurant.path}/guests", 201, json=body)
        made += 1
        await asyncio.sleep(WRITE_PACE_SECONDS)
    return made


async def test_sigterm_closes_sockets_with_1012_and_devices_resume_elsewhere_without_a_gap(
    launch: Launch, redis_url: str, clients: Clients, postgres_backend: Backend
) -> None:
    leaving = launch(redis_url, shutdown_timeout_seconds="15")
    staying = launch(redis_url)
    admin = clients(staying)
    busy = await admin.restaurant("Busy")  # changes keep coming while the instance leaves
    held = await admin.restaurant("Held")  # its row lock keeps a request in flight
    devices = [
        Device([leaving.base_url, staying.base_url], busy.id, busy.tokens["viewer"]).start()
        for _ in range(4)
    ]
    watcher = Device([staying.base_url], held.id, held.tokens["viewer"]).start()
    stop_writing = asyncio.Event()
    writer = asyncio.create_task(
        keep_writing(clients(staying, busy.tokens["host"]), busy, stop_writing)
    )
    try:
        await asyncio.gather(*(d.wait_connected() for d in [*devices, watcher]))
        held_seq = (await held.snapshot())["seq"]
        async with RowLock(postgres_backend, held.id) as lock:
            host = clients(leaving, held.tokens["host"])
            in_flight = asyncio.create_task(
                host.request("POST", f"{held.path}/guests", json={"name": "Late", "party_size": 2})
            )
            await eventually(
                lock.has_waiter, "the request to wait for the lock", timeout=STATE_TIMEOUT
            )

            leaving.signal(signal.SIGTERM)
            await eventually(
                lambda: refuses_connections(leaving), "refusing", timeout=STATE_TIMEOUT
            )
            await asyncio.gather(*(d.wait_connected(2, STATE_TIMEOUT) for d in devices))
            assert leaving.process is not None
            assert leaving.process.poll() is None  # still finishing the request in flight
            assert not in_flight.done()
        # The lock is released: the request that was in flight completes, on the leaving instance.
        response = await asyncio.wait_for(in_flight, STATE_TIMEOUT)
        assert response.status_code == 201, response.text
        assert await asyncio.to_thread(leaving.wait, STATE_TIMEOUT) == -signal.SIGTERM
        assert leaving.log_path is not None
        assert b"Finished server process" in leaving.log_path.read_bytes()

        stop_writing.set()
        assert await writer > 0
        last = (await busy.snapshot())["seq"]
        await asyncio.gather(*(d.wait_for_seq(last, STATE_TIMEOUT) for d in devices))
        for device in devices:
            assert device.close_codes[0] == SERVER_RESTARTING
            assert device.established[:2] == [leaving.base_url, staying.base_url]
            assert device.seqs == list(range(1, last + 1))
        await watcher.wait_for_seq(held_seq + 1, STATE_TIMEOUT)
        assert orjson.loads(watcher.messages[-1])["data"]["name"] == "Late"
    finally:
        stop_writing.set()
        await asyncio.gather(writer, return_exceptions=True)
        await stop_all([*devices, watcher])


async def test_a_request_still_running_at_the_shutdown_timeout_is_cut_off_and_changes_nothing(
    launch: Launch, redis_url: str, clients: Clients, postgres_backend: Backend
) -> None:
    leaving = launch(redis_url, shutdown_timeout_seconds="1")
    admin = clients(leaving)
    restaurant = await admin.restaurant("Stuck")
    before = (await restaurant.snapshot())["seq"]
    async with RowLock(postgres_backend, restaurant.id) as lock:
        host = clients(leaving, restaurant.tokens["host"])
        in_flight = asyncio.create_task(
            host.request(
                "POST", f"{restaurant.path}/guests", json={"name": "Never", "party_size": 2}
            )
        )
        await eventually(lock.has_waiter, "the request to wait for the lock", timeout=STATE_TIMEOUT)
        leaving.signal(signal.SIGTERM)
        # The process ends while the lock is still held: the timeout cut the request off.
        assert await asyncio.to_thread(leaving.wait, STATE_TIMEOUT) == -signal.SIGTERM
        outcome = (await asyncio.gather(in_flight, return_exceptions=True))[0]
        assert isinstance(outcome, httpx.TransportError) or outcome.status_code >= 500

    # Its database session never got to write: nothing of it shows once the lock is free.
    other = launch(redis_url)
    after = await clients(other, restaurant.tokens["viewer"]).ok(
        "GET", f"{restaurant.path}/snapshot"
    )
    assert after["seq"] == before
    assert [g["name"] for g in after["guests"]] == []
