"""Write-to-device: REST guest updates at W/s, latency from sending the request to each device.

Each worker owns some restaurants: their devices and their writer share one clock. A write puts
a unique marker in the guest's notes; every device of the restaurant timestamps the event that
carries it. An unmeasured warm-up at the first rate opens the HTTP connections and fills the
server's caches; then W rises step by step until p99 passes 50 ms. Writes go through
bench/http1.py, whose CPU cost per request is a sixteenth of httpx's: the generator shares the
machine with the server.

Each step is measured in a few windows (3 of 3 s; 2 of 1 s in the quick plan) and its figures
are the medians of the windows', as every figure of a shared, noisy machine is quoted: one
neighbour's burst of 50 ms in one window no longer decides the step. The result says both
rates: `sustained_writes_per_s` by the median p99, and `sustained_every_window_writes_per_s`,
the highest step below which no window of any step missed. Each window is kept in the step.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import statistics
import time
from typing import Any

import orjson

from bench import procs
from bench.devices import tenant_devices
from bench.fixtures import Tenant, fresh_sqlite, make_tenants
from bench.http1 import ConnectionPool
from bench.stats import latency_summary
from bench.workers import Control, Pool, split

WORKERS = 2
P99_LIMIT_MS = 50.0
STEPS = (200, 300, 400, 500, 600, 700, 800, 900, 1000, 1200, 1500, 2000, 2500, 3000)
WINDOWS, WINDOW_SECONDS = 3, 3.0
QUICK_WINDOWS, QUICK_WINDOW_SECONDS = 2, 1.0
WARMUP_SECONDS = 2.0
REQUEST_TIMEOUT_SECONDS = 10.0


async def worker(config: dict[str, Any], ctl: Control) -> None:
    """Connect devices, then run write steps on command."""
    try:
        await _worker(config, ctl)
    except Exception as exc:
        ctl.send({"error": repr(exc)})


async def _worker(config: dict[str, Any], ctl: Control) -> None:
    # With several instances, a restaurant's devices are spread over all of them.
    bases, per_room = config["base_urls"], config["per_room"]
    tenants = [Tenant(**t) for t in config["tenants"]]
    sent: dict[str, float] = {}
    latencies: list[float] = []
    sockets = await tenant_devices(bases, tenants, per_room)

    async def read(ws: Any) -> None:
        with contextlib.suppress(Exception):
            async for text in ws:
                now = time.perf_counter()
                notes = (orjson.loads(text).get("data") or {}).get("notes")
                started = sent.get(notes) if notes else None
                if started is not None:
                    latencies.append(now - started)

    readers = [asyncio.create_task(read(ws)) for ws in sockets]
    pools = [ConnectionPool(*_host_port(base)) for base in bases]
    ctl.send({"ready": len(sockets)})
    while True:
        command = await ctl.recv()
        if command[0] != "step":
            break
        _, rate, seconds = command
        latencies.clear()
        cpu = time.process_time()
        errors = await _write_at(pools, tenants, rate, seconds, sent)
        await asyncio.sleep(0.5)  # let the last events arrive before reporting
        ctl.send(
            {
                "latencies": list(latencies),
                "errors": errors,
                "writes": int(rate * seconds),
                "cpu_seconds": time.process_time() - cpu,
            }
        )
    for pool in pools:
        await pool.close()
    for ws in sockets:
        ws.transport.abort()
    await asyncio.gather(*readers, return_exceptions=True)
    ctl.send({"done": True})


def _host_port(base: str) -> tuple[str, int]:
    host, _, port = base.removeprefix("http://").partition(":")
    return host, int(port)


async def _write_at(
    pools: list[ConnectionPool],
    tenants: list[Tenant],
    rate: float,
    seconds: float,
    sent: dict[str, float],
) -> int:
    """Open-loop writes at `rate` per second for `seconds`, each to a random instance.

    Returns the number that failed.
    """
    errors = 0
    tasks: set[asyncio.Task[None]] = set()
    cycle = itertools.cycle(tenants)
    start = time.perf_counter()
    total = int(rate * seconds)

    async def write(t: Tenant, marker: str) -> None:
        nonlocal errors
        sent[marker] = time.perf_counter()
        try:
            status, _ = await asyncio.wait_for(
                random.choice(pools).request(
                    "PATCH",
                    f"/api/v1/restaurants/{t.restaurant_id}/guests/{t.guest_id}",
                    {"Authorization": f"Bearer {t.token}"},
                    orjson.dumps({"notes": marker}),
                ),
                REQUEST_TIMEOUT_SECONDS,
            )
            if status != 200:
                errors += 1
        except (OSError, asyncio.IncompleteReadError, TimeoutError):
            errors += 1

    for n in range(total):
        due = start + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(write(next(cycle), f"m{id(tasks)}-{n}-{time.time_ns()}"))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    return errors


def measure(
    servers: list[procs.Server], tenants: list[Tenant], *, per_room: int, quick: bool
) -> dict[str, Any]:
    """Connect the devices over `servers`, warm up, then raise W step by step."""
    windows, seconds = (QUICK_WINDOWS, QUICK_WINDOW_SECONDS) if quick else (WINDOWS, WINDOW_SECONDS)
    steps = STEPS[:2] if quick else STEPS
    bases = [s.base_url for s in servers]
    configs = [
        {"base_urls": bases, "per_room": per_room, "tenants": [t.__dict__ for t in share]}
        for share in split(tenants, WORKERS)
    ]
    results: list[dict[str, Any]] = []
    pool = Pool("bench.scenarios.write_latency:worker", configs)
    try:
        devices = sum(r["ready"] for r in pool.gather(600))
        warmup = WARMUP_SECONDS / 2 if quick else WARMUP_SECONDS
        pool.ask(("step", steps[0] / WORKERS, warmup), timeout=warmup * 10 + 60)
        for rate in steps:
            measured = [_window(pool, servers, rate, seconds, per_room) for _ in range(windows)]
            step = {"writes_per_s": rate, **_medians(measured), "windows": measured}
            results.append(step)
            if not _passes(step):
                break
        pool.tell(("done",))
        pool.gather()
    finally:
        pool.close()
    every_window = 0
    for step in results:
        if not all(_passes(w) for w in step["windows"]):
            break
        every_window = step["writes_per_s"]
    passing = [s["writes_per_s"] for s in results if _passes(s)]
    return {
        "restaurants": len(tenants),
        "devices": devices,
        "windows_per_step": windows,
        "window_seconds": seconds,
        "at_200": results[0],
        "steps": results,
        "sustained_writes_per_s": passing[-1] if passing else 0,
        "sustained_every_window_writes_per_s": every_window,
    }


def _window(
    pool: Pool, servers: list[procs.Server], rate: int, seconds: float, per_room: int
) -> dict[str, Any]:
    """One window of writes at `rate`: its latencies, failures and CPU."""
    cpu0 = sum(s.cpu_seconds() for s in servers)
    replies = pool.ask(("step", rate / WORKERS, seconds), timeout=seconds * 10 + 60)
    cpu = sum(s.cpu_seconds() for s in servers) - cpu0
    latencies = [x for r in replies for x in r["latencies"]]
    expected = sum(r["writes"] for r in replies) * per_room
    return {
        **latency_summary(latencies),
        "errors": sum(r["errors"] for r in replies),
        "missing": expected - len(latencies),
        "server_cpu_util": round(cpu / seconds, 2),
        # The load generator's processes (writers and devices) share the machine.
        "generator_cpu_util": round(sum(r["cpu_seconds"] for r in replies) / seconds, 2),
    }


def _medians(windows: list[dict[str, Any]]) -> dict[str, Any]:
    """A step's figures: each the median of its windows', but the worst max and every failure."""
    middle = {
        key: round(statistics.median(w[key] for w in windows), 2)
        for key in ("p50_ms", "p95_ms", "p99_ms", "server_cpu_util", "generator_cpu_util")
    }
    return {
        **middle,
        "max_ms": max(w["max_ms"] for w in windows),
        "samples": sum(w["samples"] for w in windows),
        "errors": sum(w["errors"] for w in windows),
        "missing": sum(w["missing"] for w in windows),
    }


def _passes(figures: dict[str, Any]) -> bool:
    return figures["p99_ms"] < P99_LIMIT_MS and not figures["errors"] and not figures["missing"]


def run(quick: bool) -> dict[str, Any]:
    """p50/p95/p99 at 200 writes/s over 200 x 5 devices, then the highest W with p99 < 50 ms."""
    restaurants, per_room = (40, 5) if quick else (200, 5)
    url = fresh_sqlite()
    tenants = make_tenants(url, restaurants)
    env = {"HOSTSTAND_DATABASE_URL": url, "HOSTSTAND_AUTH_FAILURE_LIMIT": "1000000"}
    with procs.serving(procs.hoststand(env)) as server:
        figures = measure([server], tenants, per_room=per_room, quick=quick)
    return {"scenario": "write_to_device", "database": "sqlite", **figures}
