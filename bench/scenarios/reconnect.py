"""Reconnect storm: every device drops at once and resumes with last_seq while writes go on.

Measured: the time until every device has caught up (received every event up to the seq its
connection_established announced), and events lost (a gap in any device's seqs, or a resync).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import time
from typing import Any

import httpx
import orjson
import psutil
from websockets.exceptions import ConnectionClosed

from bench import procs
from bench.devices import bounded, hoststand_device
from bench.fixtures import Tenant, fresh_sqlite, make_tenants
from bench.stats import percentile
from bench.workers import Control, Pool, split

WORKERS = 2
WRITES_PER_S = 200
RETRIES = 5
WRITES_ONLY_SECONDS = 2.0
TAIL_SECONDS = 10.0  # for the last events to reach every device once writes stop


class Device:
    """One device's view of the feed: its last seq, and any gap it saw."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self.seq = 0
        self.gaps = 0
        self.resyncs = 0
        self.target = 0
        self.caught_up_at: float | None = None
        self.caught_up = asyncio.Event()
        self.retries = 0
        self.ws: Any = None

    def mark_caught_up(self) -> None:
        """Record the moment this device had everything its handshake announced."""
        if self.caught_up_at is None:
            self.caught_up_at = time.perf_counter()
            self.caught_up.set()

    def take(self, text: str | bytes) -> None:
        message = orjson.loads(text)
        kind = message.get("type")
        if kind == "resync_required":
            self.resyncs += 1
            self.seq = message["seq"]
        elif "seq" in message and kind != "connection_established":
            if message["seq"] != self.seq + 1:
                self.gaps += 1
            self.seq = message["seq"]
        if self.seq >= self.target:
            self.mark_caught_up()


async def worker(config: dict[str, Any], ctl: Control) -> None:
    """Connect, follow, drop everything on command, resume, report catch-up times."""
    try:
        await _worker(config, ctl)
    except Exception as exc:
        ctl.send({"error": repr(exc)})


async def _connect(device: Device, base: str, last_seq: int | None) -> None:
    # As a real client does: a handshake the server closed (4408 when it is too busy to
    # finish it in time) or could not take is tried again after a short, jittered pause.
    for attempt in itertools.count():
        try:
            ws, hello = await hoststand_device(
                base, device.tenant.restaurant_id, device.tenant.token, last_seq=last_seq
            )
            break
        except (ConnectionClosed, OSError, TimeoutError):
            if attempt >= RETRIES:
                raise
            device.retries += 1
            await asyncio.sleep(random.uniform(0.1, 0.5) * 2**attempt)
    device.ws = ws
    device.target = hello["seq"]
    if last_seq is None:
        device.seq = hello["seq"]
    if device.seq >= device.target:
        device.mark_caught_up()


async def _follow(device: Device) -> None:
    with contextlib.suppress(Exception):
        async for text in device.ws:
            device.take(text)


async def _worker(config: dict[str, Any], ctl: Control) -> None:
    base, per_room = config["base_url"], config["per_room"]
    tenants = [Tenant(**t) for t in config["tenants"]]
    devices = [Device(t) for t in tenants for _ in range(per_room)]
    await bounded([(lambda d=d: _connect(d, base, None)) for d in devices])
    readers = [asyncio.create_task(_follow(d)) for d in devices]
    ctl.send({"ready": len(devices)})
    async with httpx.AsyncClient(base_url=base, timeout=10.0) as http:
        writer = asyncio.create_task(_write_forever(http, tenants, config["rate"]))
        await ctl.recv()  # storm
        for d in devices:
            d.ws.transport.abort()
        await asyncio.gather(*readers, return_exceptions=True)
        start = time.perf_counter()
        for d in devices:
            d.caught_up_at = None
            d.caught_up.clear()
        await bounded([(lambda d=d: _connect(d, base, d.seq)) for d in devices], limit=500)
        readers = [asyncio.create_task(_follow(d)) for d in devices]
        await asyncio.gather(*(d.caught_up.wait() for d in devices))
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)
        behind = await _behind_at_the_end(http, tenants, devices)
    times = [d.caught_up_at - start for d in devices if d.caught_up_at is not None]
    ctl.send(
        {
            "times": times,
            "gaps": sum(d.gaps for d in devices),
            "resyncs": sum(d.resyncs for d in devices),
            "behind": behind,
            "retries": sum(d.retries for d in devices),
        }
    )
    await ctl.recv()
    for d in devices:
        d.ws.transport.abort()


async def _behind_at_the_end(
    http: httpx.AsyncClient, tenants: list[Tenant], devices: list[Device]
) -> int:
    """Devices that never got their restaurant's last event (a loss no later gap would show)."""
    finals: dict[str, int] = {}
    for t in tenants:
        response = await http.get(
            f"/api/v1/restaurants/{t.restaurant_id}/snapshot",
            headers={"Authorization": f"Bearer {t.token}"},
        )
        response.raise_for_status()
        finals[t.restaurant_id] = response.json()["seq"]
    deadline = time.monotonic() + TAIL_SECONDS
    while time.monotonic() < deadline:
        behind = sum(1 for d in devices if d.seq < finals[d.tenant.restaurant_id])
        if not behind:
            return 0
        await asyncio.sleep(0.1)
    return behind


async def _write_forever(http: httpx.AsyncClient, tenants: list[Tenant], rate: float) -> None:
    cycle = itertools.cycle(tenants)
    while True:
        t = next(cycle)
        with contextlib.suppress(httpx.HTTPError):
            await http.patch(
                f"/api/v1/restaurants/{t.restaurant_id}/guests/{t.guest_id}",
                json={"notes": f"n{time.time_ns()}"},
                headers={"Authorization": f"Bearer {t.token}"},
            )
        await asyncio.sleep(1 / rate)


def run(quick: bool) -> dict[str, Any]:
    """5,000 devices (quick: 500) over 1,000 restaurants drop and resume while writes continue."""
    devices, per_room = (500, 5) if quick else (5000, 5)
    count = devices // per_room
    url = fresh_sqlite()
    tenants = make_tenants(url, count)
    env = {"HOSTSTAND_DATABASE_URL": url, "HOSTSTAND_AUTH_FAILURE_LIMIT": "1000000"}
    with procs.serving(procs.hoststand(env)) as server:
        configs = worker_configs(server, tenants, per_room=per_room, rate=WRITES_PER_S)
        pool = Pool("bench.scenarios.reconnect:worker", configs)
        try:
            connected = sum(r["ready"] for r in pool.gather(900))
            time.sleep(1.0)  # writes flow to every device before the storm
            before = server.cpu_seconds()
            time.sleep(WRITES_ONLY_SECONDS)
            cpu0, gen0 = server.cpu_seconds(), _cpu_seconds(pool)
            writes_cpu = (cpu0 - before) / WRITES_ONLY_SECONDS
            replies = pool.ask(("storm",), timeout=600)
            storm_cpu, gen_cpu = server.cpu_seconds() - cpu0, _cpu_seconds(pool) - gen0
            pool.tell(("done",))
        finally:
            pool.close()
    times = [t for r in replies for t in r["times"]]
    return {
        "scenario": "reconnect_storm",
        "devices": connected,
        "writes_per_s": WRITES_PER_S,
        "all_caught_up_s": round(max(times), 2),
        "p50_caught_up_s": round(percentile(times, 50), 2),
        "events_lost": sum(r["gaps"] + r["behind"] for r in replies),
        "resyncs": sum(r["resyncs"] for r in replies),
        "handshake_retries": sum(r["retries"] for r in replies),
        # CPU seconds from the storm to the last device caught up and the tail checked:
        # the server's, and the load generator's, which shares the same cores.
        "server_cpu_s": round(storm_cpu, 1),
        "load_generator_cpu_s": round(gen_cpu, 1),
        "server_cpu_util_writes_only": round(writes_cpu, 2),  # before the storm
    }


def worker_configs(
    server: procs.Server, tenants: list[Tenant], *, per_room: int, rate: float
) -> list[dict[str, Any]]:
    """One config per worker process: its share of the restaurants and of the write rate."""
    return [
        {
            "base_url": server.base_url,
            "per_room": per_room,
            "rate": rate / WORKERS,
            "tenants": [t.__dict__ for t in share],
        }
        for share in split(tenants, WORKERS)
    ]


def _cpu_seconds(pool: Pool) -> float:
    total = 0.0
    for process in pool.processes:
        times = psutil.Process(process.pid).cpu_times()
        total += times.user + times.system
    return total
