"""Idle memory: server RSS per authenticated, handshaken, idle device, beside the bare baseline.

Measured with compression off (the default) and on (devices negotiate permessage-deflate, as
browsers do), on hoststand and on the bare Uvicorn + websockets-sansio server.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench import procs
from bench.devices import baseline_device, bounded, hoststand_device
from bench.fixtures import fresh_sqlite, make_tenants
from bench.workers import Control, Pool, split

WORKERS = 2
SETTLE_SECONDS = 2.0  # for the server to finish with the connections before its RSS is read
QUICK_SETTLE_SECONDS = 0.5  # enough for --quick's 1,000 devices: a smoke run


async def worker(config: dict[str, Any], ctl: Control) -> None:
    """Open this worker's share of idle devices and hold them until told to stop."""
    try:
        base, mode, per_room = config["base_url"], config["mode"], config["per_room"]
        deflate = config.get("compression", False)
        if mode == "hoststand":
            factories = [
                (lambda r=r: hoststand_device(base, r["id"], r["token"], compression=deflate))
                for r in config["rooms"]
                for _ in range(per_room)
            ]
        else:
            factories = [
                (lambda r=r: baseline_device(base, r["id"], compression=deflate))
                for r in config["rooms"]
                for _ in range(per_room)
            ]
        sockets = await bounded(factories)
        ctl.send({"ready": len(sockets)})
        await ctl.recv()
        for s in sockets:
            (s[0] if isinstance(s, tuple) else s).transport.abort()
        await asyncio.sleep(0)
        ctl.send({"done": True})
    except Exception as exc:
        ctl.send({"error": repr(exc)})


def _measure(
    server: procs.Server,
    rooms: list[dict[str, str]],
    mode: str,
    per_room: int,
    settle: float,
    compression: bool = False,
) -> dict[str, Any]:
    common = {"base_url": server.base_url, "mode": mode, "compression": compression}
    # One warm-up connection loads every module and lazily built structure first.
    warm = Pool(
        "bench.scenarios.idle_memory:worker", [{**common, "rooms": rooms[:1], "per_room": 1}]
    )
    warm.gather()
    warm.ask(("stop",))
    warm.close()
    time.sleep(settle)
    before = server.rss_bytes()
    configs = [{**common, "rooms": share, "per_room": per_room} for share in split(rooms, WORKERS)]
    pool = Pool("bench.scenarios.idle_memory:worker", configs)
    try:
        devices = sum(r["ready"] for r in pool.gather(900))
        time.sleep(settle)
        after = server.rss_bytes()
        pool.ask(("stop",))
    finally:
        pool.close()
    return {
        "server": server.name,
        "devices": devices,
        "rss_before_mb": round(before / 2**20, 1),
        "rss_after_mb": round(after / 2**20, 1),
        "kb_per_device": round((after - before) / devices / 1024, 1),
    }


def run(quick: bool) -> dict[str, Any]:
    """10,000 idle devices (quick: 1,000) over 5 per restaurant, hoststand then the baseline."""
    devices, per_room = (1000, 5) if quick else (10000, 5)
    settle = QUICK_SETTLE_SECONDS if quick else SETTLE_SECONDS
    count = devices // per_room
    url = fresh_sqlite()
    tenants = make_tenants(url, count)
    hs_rooms = [{"id": t.restaurant_id, "token": t.token} for t in tenants]
    bare_rooms = [{"id": f"room{n}", "token": ""} for n in range(count)]
    env = {"HOSTSTAND_DATABASE_URL": url, "HOSTSTAND_AUTH_FAILURE_LIMIT": "1000000"}
    with procs.serving(procs.hoststand(env)) as server:
        hoststand = _measure(server, hs_rooms, "hoststand", per_room, settle)
    with procs.serving(procs.uvicorn_baseline()) as server:
        baseline = _measure(server, bare_rooms, "baseline", per_room, settle)
    with procs.serving(procs.hoststand({**env, "HOSTSTAND_WS_COMPRESSION": "1"})) as server:
        hoststand_deflate = _measure(
            server, hs_rooms, "hoststand", per_room, settle, compression=True
        )
    with procs.serving(procs.uvicorn_baseline(compression=True)) as server:
        baseline_deflate = _measure(
            server, bare_rooms, "baseline", per_room, settle, compression=True
        )
    return {
        "scenario": "idle_memory",
        "devices": devices,
        "hoststand": hoststand,
        "uvicorn_sansio": baseline,
        "ratio": _ratio(hoststand, baseline),
        "hoststand_compressed": hoststand_deflate,
        "uvicorn_sansio_compressed": baseline_deflate,
        "ratio_compressed": _ratio(hoststand_deflate, baseline_deflate),
    }


def _ratio(ours: dict[str, Any], theirs: dict[str, Any]) -> float:
    return round(ours["kb_per_device"] / max(theirs["kb_per_device"], 0.1), 2)
