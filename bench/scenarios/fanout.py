"""Fan-out: D devices over R restaurants, messages at saturation; server CPU per delivered message.

Each restaurant has one publishing device; what it sends is relayed to the other devices of the
restaurant (on hoststand: a `user_action`, the protocol's own fan-out message; on the baselines:
the same bytes relayed as is). A publisher sends its next message as soon as the previous one
reached a designated receiver, so the load is closed-loop: as fast as the server goes.

Every server is started and its devices connected first; then the variants take turns, a few
rounds of a short window each, so that a noisy neighbour weighs on all of them alike, and the
figure of each is the median of its rounds. A window starts and ends on a tenth of a second:
deliveries are counted by the tenth they arrived in, and the server's CPU is read at the same
edges, so only what happened inside the window counts. The hoststand server also runs rounds
of the event path: REST writes (closed loop) whose events fan out to the same devices.
"""

from __future__ import annotations

import contextlib
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench import procs
from bench.fixtures import fresh_sqlite, make_tenants
from bench.scenarios.fanout_load import WORKERS
from bench.workers import Pool, split

SETTLE_SECONDS = 20.0  # at most, for a server to go quiet after its devices connected
QUIET_CPU = 0.05  # cores: below this a server is done with the connection storm


@dataclass(frozen=True)
class Plan:
    """How big and how long."""

    devices: int
    per_room: int
    rounds: int
    warmup: float
    window: float


FULL = Plan(devices=5000, per_room=5, rounds=5, warmup=1.0, window=4.0)  # rounds moved by a third
QUICK = Plan(devices=500, per_room=5, rounds=2, warmup=0.5, window=1.5)


@dataclass
class Variant:
    """A server under test, its devices, and the loads it is measured under."""

    server: procs.Server
    mode: str  # "hoststand" or "baseline"
    rooms: list[dict[str, str]]
    compression: bool = False
    loads: dict[str, str] = field(default_factory=lambda: {"relay": ""})  # load -> figure name
    pool: Pool | None = None
    samples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _variants(url: str, tenants: list[Any], count: int) -> list[Variant]:
    hs_rooms = [{"id": t.restaurant_id, "token": t.token, "guest": t.guest_id} for t in tenants]
    bare = [{"id": f"room{n}", "token": "", "guest": ""} for n in range(count)]
    env = {
        "HOSTSTAND_DATABASE_URL": url,
        "HOSTSTAND_USER_ACTION_RATE": "1000000",
        "HOSTSTAND_USER_ACTION_BURST": "1000000",
        "HOSTSTAND_AUTH_FAILURE_LIMIT": "1000000",
    }
    variants = [
        Variant(
            procs.hoststand(env),
            "hoststand",
            hs_rooms,
            loads={"relay": "hoststand", "events": "hoststand_events"},
        ),
        Variant(procs.uvicorn_baseline(), "baseline", bare, loads={"relay": "uvicorn_sansio"}),
    ]
    node = procs.node_baseline()
    if node is not None:
        variants.append(Variant(node, "baseline", bare, loads={"relay": "node_ws"}))
    compressed = procs.hoststand({**env, "HOSTSTAND_WS_COMPRESSION": "1"})
    compressed.name = "hoststand-compressed"
    variants.append(
        Variant(compressed, "hoststand", hs_rooms, True, {"relay": "hoststand_compressed"})
    )
    bare_compressed = procs.uvicorn_baseline(compression=True)
    bare_compressed.name = "uvicorn-sansio-compressed"
    variants.append(
        Variant(bare_compressed, "baseline", bare, True, {"relay": "uvicorn_sansio_compressed"})
    )
    return variants


def _connect(variant: Variant, per_room: int) -> int:
    configs = [
        {
            "mode": variant.mode,
            "base_url": variant.server.base_url,
            "rooms": share,
            "per_room": per_room,
            "compression": variant.compression,
        }
        for share in split(variant.rooms, WORKERS)
    ]
    variant.pool = Pool("bench.scenarios.fanout_load:worker", configs)
    return sum(r["ready"] for r in variant.pool.gather(900))


def _settle(servers: list[procs.Server]) -> None:
    """Wait until every server is idle (token touches, room opening after a connection storm)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline:
        before = [s.cpu_seconds() for s in servers]
        time.sleep(0.5)
        busy = [s.cpu_seconds() - b for s, b in zip(servers, before, strict=True)]
        if max(busy) < QUIET_CPU * 0.5:
            return


def _sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.time()))


def _window(variant: Variant, load: str, plan: Plan) -> dict[str, Any]:
    """One measured window of one load on one server."""
    assert variant.pool is not None
    server = variant.server
    variant.pool.tell(("run", load))
    # Both edges on a tenth of a second: the deliveries are counted per tenth.
    t1 = (int((time.time() + plan.warmup) * 10) + 1) / 10
    t2 = t1 + plan.window
    _sleep_until(t1)
    cpu1 = server.cpu_seconds()
    _sleep_until(t2)
    cpu2 = server.cpu_seconds()
    replies = variant.pool.ask(("halt",), timeout=60)
    lo, hi = round(t1 * 10), round(t2 * 10)
    delivered = sum(n for r in replies for slot, n in r["buckets"].items() if lo <= slot < hi)
    timeouts = sum(n for r in replies for slot, n in r["timeouts"].items() if lo <= slot < hi)
    cpu = cpu2 - cpu1
    return {
        "delivered_per_s": round(delivered / plan.window),
        "cpu_us_per_msg": round(cpu / max(delivered, 1) * 1e6, 1),
        "server_cpu_util": round(cpu / plan.window, 2),
        "timeouts": timeouts,
        "writes_per_s": round(sum(r["writes"] for r in replies) / plan.window) or None,
    }


def _figure(variant: Variant, load: str, devices: int) -> dict[str, Any]:
    samples = variant.samples[load]
    figure = {
        "server": variant.server.name,
        "devices": devices,
        "cpu_us_per_msg": round(statistics.median(s["cpu_us_per_msg"] for s in samples), 1),
        "delivered_per_s": round(statistics.median(s["delivered_per_s"] for s in samples)),
        "server_cpu_util": round(statistics.median(s["server_cpu_util"] for s in samples), 2),
        "timeouts": sum(s["timeouts"] for s in samples),
        "rounds_us_per_msg": [s["cpu_us_per_msg"] for s in samples],
        "rss_kb_per_device": round(variant.server.rss_bytes() / max(devices, 1) / 1024, 1),
    }
    if load == "events":
        figure["writes_per_s"] = statistics.median(s["writes_per_s"] or 0 for s in samples)
    return figure


def _ratios(runs: dict[str, dict[str, Any]]) -> dict[str, float]:
    def ratio(a: str, b: str) -> float | None:
        if a not in runs or b not in runs:
            return None
        return round(runs[a]["cpu_us_per_msg"] / runs[b]["cpu_us_per_msg"], 2)

    pairs = {
        "hoststand_vs_uvicorn_sansio": ("hoststand", "uvicorn_sansio"),
        "hoststand_vs_node_ws": ("hoststand", "node_ws"),
        "compressed_vs_uvicorn_sansio_compressed": (
            "hoststand_compressed",
            "uvicorn_sansio_compressed",
        ),
        "hoststand_compressed_vs_plain": ("hoststand_compressed", "hoststand"),
    }
    found = {name: ratio(a, b) for name, (a, b) in pairs.items()}
    return {k: v for k, v in found.items() if v is not None}


def _measure(variants: list[Variant], plan: Plan) -> dict[str, dict[str, Any]]:
    devices = {id(v): _connect(v, plan.per_room) for v in variants}
    _settle([v.server for v in variants])
    for _ in range(plan.rounds):
        for variant in variants:
            for load in variant.loads:
                sample = _window(variant, load, plan)
                variant.samples.setdefault(load, []).append(sample)
    return {
        name: _figure(v, load, devices[id(v)]) for v in variants for load, name in v.loads.items()
    }


def run(quick: bool) -> dict[str, Any]:
    """hoststand vs the baselines, same load, same run; ratios of CPU per delivered message."""
    plan = QUICK if quick else FULL
    count = plan.devices // plan.per_room
    url = fresh_sqlite()
    variants = _variants(url, make_tenants(url, count), count)
    with contextlib.ExitStack() as stack:
        for variant in variants:
            stack.enter_context(procs.serving(variant.server))
            stack.callback(_closer(variant))
        runs = _measure(variants, plan)
    return {
        "scenario": "fanout",
        "devices": plan.devices,
        "restaurants": count,
        "rounds": plan.rounds,
        "window_s": plan.window,
        "runs": runs,
        "cpu_ratio": _ratios(runs),
    }


def _closer(variant: Variant) -> Callable[[], None]:
    def close() -> None:
        if variant.pool is not None:
            variant.pool.close()

    return close
