"""Fan-out: D devices over R restaurants, messages at saturation; server CPU per delivered message.

Each restaurant has one publishing device; what it sends is relayed to the other devices of the
restaurant (on hoststand: a `user_action`, the protocol's own fan-out message; on the baselines:
the same bytes relayed as is). A publisher sends its next message as soon as the previous one
reached a designated receiver, so the load is closed-loop: as fast as the server goes.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from typing import Any

import orjson

from bench import procs
from bench.devices import baseline_device, bounded, hoststand_device
from bench.fixtures import fresh_sqlite, make_tenants
from bench.workers import Control, Pool, split

WORKERS = 2
ARRIVAL_TIMEOUT = 5.0


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


async def worker(config: dict[str, Any], ctl: Control) -> None:
    """Connect this worker's rooms, then publish closed-loop between 'go' and 'stop'."""
    try:
        await _worker(config, ctl)
    except Exception as exc:  # report, don't hang the main process
        ctl.send({"error": repr(exc)})


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


async def _worker(config: dict[str, Any], ctl: Control) -> None:
    rooms = await _connect(config)
    ctl.send({"ready": sum(len(r) for r in rooms)})
    await ctl.recv()  # go
    buckets: Counter[int] = Counter()
    waiting: dict[int, tuple[str, asyncio.Future[None]]] = {}
    stats = Counter()

    async def read(ws: Any, room: int, designated: bool) -> None:
        with contextlib.suppress(Exception):
            async for text in ws:
                buckets[int(time.time() * 10)] += 1
                if designated and room in waiting:
                    marker, fut = waiting[room]
                    if marker in text and not fut.done():
                        fut.set_result(None)
        stats["closed"] += 1

    async def publish(ws: Any, room: int, restaurant_id: str) -> None:
        loop = asyncio.get_running_loop()
        k = 0
        while True:
            k += 1
            fut = loop.create_future()
            waiting[room] = (f'"b{room}-{k}"', fut)
            await ws.send(_payload(room, k, restaurant_id))
            try:
                await asyncio.wait_for(fut, ARRIVAL_TIMEOUT)
            except TimeoutError:
                stats["timeouts"] += 1

    readers = [
        asyncio.create_task(read(ws, idx, designated=(j == 1)))
        for idx, members in enumerate(rooms)
        for j, ws in enumerate(members)
    ]
    publishers = [
        asyncio.create_task(publish(members[0], idx, config["rooms"][idx]["id"]))
        for idx, members in enumerate(rooms)
    ]
    await ctl.recv()  # stop
    for task in publishers:
        task.cancel()
    for members in rooms:
        for ws in members:
            ws.transport.abort()
    await asyncio.gather(*readers, *publishers, return_exceptions=True)
    ctl.send({"buckets": dict(buckets), "timeouts": stats["timeouts"]})
    await ctl.recv()


def measure(
    server: procs.Server,
    rooms: list[dict[str, str]],
    *,
    mode: str,
    per_room: int,
    warmup: float,
    seconds: float,
    compression: bool = False,
) -> dict[str, Any]:
    """Run the load against a started server; CPU and deliveries over the measured window."""
    configs = [
        {
            "mode": mode,
            "base_url": server.base_url,
            "rooms": share,
            "per_room": per_room,
            "compression": compression,
        }
        for share in split(rooms, WORKERS)
    ]
    pool = Pool("bench.scenarios.fanout:worker", configs)
    try:
        connected = sum(r["ready"] for r in pool.gather(600))
        pool.tell(("go",))
        time.sleep(warmup)
        t1, cpu1 = time.time(), server.cpu_seconds()
        time.sleep(seconds)
        t2, cpu2 = time.time(), server.cpu_seconds()
        results = pool.ask(("stop",))
    finally:
        pool.close()
    delivered = sum(
        count
        for r in results
        for slot, count in r["buckets"].items()
        if t1 * 10 <= int(slot) < t2 * 10
    )
    window = (int(t2 * 10) - int(t1 * 10)) / 10
    cpu = cpu2 - cpu1
    return {
        "server": server.name,
        "devices": connected,
        "delivered_per_s": round(delivered / window),
        "cpu_us_per_msg": round(cpu / max(delivered, 1) * 1e6, 1),
        "server_cpu_util": round(cpu / (t2 - t1), 2),
        "timeouts": sum(r["timeouts"] for r in results),
        "rss_kb_per_device": round(server.rss_bytes() / max(connected, 1) / 1024, 1),
    }


def run(quick: bool) -> dict[str, Any]:
    """hoststand vs the baselines, same load, same run; ratios of CPU per delivered message."""
    devices, per_room = (500, 5) if quick else (5000, 5)
    warmup, seconds = (1.0, 2.0) if quick else (3.0, 8.0)
    count = devices // per_room
    url = fresh_sqlite()
    tenants = make_tenants(url, count)
    hs_rooms = [{"id": t.restaurant_id, "token": t.token} for t in tenants]
    bare_rooms = [{"id": f"room{n}", "token": ""} for n in range(count)]
    env = {
        "HOSTSTAND_DATABASE_URL": url,
        "HOSTSTAND_USER_ACTION_RATE": "1000000",
        "HOSTSTAND_USER_ACTION_BURST": "1000000",
        "HOSTSTAND_AUTH_FAILURE_LIMIT": "1000000",
    }
    runs: dict[str, dict[str, Any]] = {}
    variants: list[tuple[str, Any, str, list[dict[str, str]], bool]] = [
        ("hoststand", lambda: procs.hoststand(env), "hoststand", hs_rooms, False),
        ("uvicorn_sansio", procs.uvicorn_baseline, "baseline", bare_rooms, False),
    ]
    node = procs.node_baseline()
    if node is not None:
        variants.append(("node_ws", procs.node_baseline, "baseline", bare_rooms, False))
    variants.append(
        (
            "hoststand_compressed",
            lambda: procs.hoststand({**env, "HOSTSTAND_WS_COMPRESSION": "1"}),
            "hoststand",
            hs_rooms,
            True,
        )
    )
    for name, make, mode, rooms, compression in variants:
        with procs.serving(make()) as server:
            runs[name] = measure(
                server,
                rooms,
                mode=mode,
                per_room=per_room,
                warmup=warmup,
                seconds=seconds,
                compression=compression,
            )
    hs = runs["hoststand"]["cpu_us_per_msg"]
    ratios = {
        f"vs_{k}": round(hs / v["cpu_us_per_msg"], 2) for k, v in runs.items() if k != "hoststand"
    }
    return {
        "scenario": "fanout",
        "devices": devices,
        "restaurants": count,
        "runs": runs,
        "cpu_ratio": ratios,
    }
