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

`python -m bench fanout --variant NAME=SRC` (repeatable) compares hoststand servers served from
several `src` trees instead (see `bench.variants`): each variant is measured under the relay
load only, alternated round after round with the two baselines, and its figure is given with
its ratio to Node.js `ws` and to the first variant. `--rounds N` overrides the plan's rounds.
"""

from __future__ import annotations

import contextlib
import dataclasses
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench import procs, variants
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
QUICK = Plan(devices=500, per_room=5, rounds=2, warmup=0.5, window=1.0)


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


BASELINE_FIGURES = ("uvicorn_sansio", "node_ws")


def _hoststand_env(url: str) -> dict[str, str]:
    return {
        "HOSTSTAND_DATABASE_URL": url,
        "HOSTSTAND_USER_ACTION_RATE": "1000000",
        "HOSTSTAND_USER_ACTION_BURST": "1000000",
        "HOSTSTAND_AUTH_FAILURE_LIMIT": "1000000",
    }


def _hoststand_rooms(tenants: list[Any]) -> list[dict[str, str]]:
    return [{"id": t.restaurant_id, "token": t.token, "guest": t.guest_id} for t in tenants]


def _bare_rooms(count: int) -> list[dict[str, str]]:
    return [{"id": f"room{n}", "token": "", "guest": ""} for n in range(count)]


def _baselines(count: int) -> list[Variant]:
    """The bare Uvicorn server and, when Node.js is there, the `ws` one, plain (no compression)."""
    bare = _bare_rooms(count)
    servers = [
        Variant(procs.uvicorn_baseline(), "baseline", bare, loads={"relay": "uvicorn_sansio"})
    ]
    node = procs.node_baseline()
    if node is not None:
        servers.append(Variant(node, "baseline", bare, loads={"relay": "node_ws"}))
    return servers


def _variants(url: str, tenants: list[Any], count: int) -> list[Variant]:
    hs_rooms = _hoststand_rooms(tenants)
    bare = _bare_rooms(count)
    env = _hoststand_env(url)
    variants = [
        Variant(
            procs.hoststand(env),
            "hoststand",
            hs_rooms,
            loads={"relay": "hoststand", "events": "hoststand_events"},
        ),
        *_baselines(count),
    ]
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


def _served_variants(
    url: str, tenants: list[Any], count: int, served: list[tuple[str, str | None]]
) -> list[Variant]:
    """A hoststand server per `--variant`, relay load only, then the plain baselines."""
    env = _hoststand_env(url)
    servers = []
    for name, src in served:
        server = procs.hoststand({**env, **variants.served_from(src)})
        server.name = f"hoststand-{name}"
        loads = {"relay": name}
        servers.append(Variant(server, "hoststand", _hoststand_rooms(tenants), loads=loads))
    return servers + _baselines(count)


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
    times1 = server.ps.cpu_times()
    _sleep_until(t2)
    times2 = server.ps.cpu_times()
    replies = variant.pool.ask(("halt",), timeout=60)
    lo, hi = round(t1 * 10), round(t2 * 10)
    delivered = sum(n for r in replies for slot, n in r["buckets"].items() if lo <= slot < hi)
    timeouts = sum(n for r in replies for slot, n in r["timeouts"].items() if lo <= slot < hi)
    user = times2.user - times1.user
    cpu = user + times2.system - times1.system
    return {
        "delivered_per_s": round(delivered / plan.window),
        "cpu_us_per_msg": round(cpu / max(delivered, 1) * 1e6, 1),
        # The interpreter's share: the kernel's (about 60%) is alike for every server.
        "user_us_per_msg": round(user / max(delivered, 1) * 1e6, 1),
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
        "user_us_per_msg": round(statistics.median(s["user_us_per_msg"] for s in samples), 1),
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


def _variant_ratios(runs: dict[str, dict[str, Any]], names: list[str]) -> dict[str, Any]:
    """Each variant's CPU per message over `ws`'s and over the first variant's, and per round."""

    def over(name: str, other: str) -> float:
        return round(runs[name]["cpu_us_per_msg"] / runs[other]["cpu_us_per_msg"], 3)

    def per_round(name: str, other: str) -> list[float]:
        pairs = zip(runs[name]["rounds_us_per_msg"], runs[other]["rounds_us_per_msg"], strict=True)
        return [round(a / b, 3) for a, b in pairs]

    ratios: dict[str, Any] = {"cpu_ratio_to_first": {n: over(n, names[0]) for n in names}}
    if "node_ws" in runs:
        ratios["cpu_ratio_to_node_ws"] = {n: over(n, "node_ws") for n in names}
        ratios["rounds_ratio_to_node_ws"] = {n: per_round(n, "node_ws") for n in names}
    return ratios


def run(
    quick: bool, served: list[tuple[str, str | None]] | None = None, rounds: int = 0
) -> dict[str, Any]:
    """hoststand vs the baselines, same load, same run; ratios of CPU per delivered message.

    `served`, (name, src) pairs as `bench.variants.parse` gives them, replaces the default
    servers (hoststand plain and compressed, its event path, the compressed baseline) with a
    hoststand server per variant beside the plain baselines. `rounds` overrides the plan's.
    """
    plan = QUICK if quick else FULL
    if rounds:
        plan = dataclasses.replace(plan, rounds=rounds)
    count = plan.devices // plan.per_room
    url = fresh_sqlite()
    tenants = make_tenants(url, count)
    if served:
        clash = {name for name, _ in served} & set(BASELINE_FIGURES)
        if clash or len({name for name, _ in served}) < len(served):
            raise ValueError(f"variant names must be distinct and not {BASELINE_FIGURES}")
        servers = _served_variants(url, tenants, count, served)
    else:
        servers = _variants(url, tenants, count)
    with contextlib.ExitStack() as stack:
        for variant in servers:
            stack.enter_context(procs.serving(variant.server))
            stack.callback(_closer(variant))
        runs = _measure(servers, plan)
    result = {
        "scenario": "fanout",
        "devices": plan.devices,
        "restaurants": count,
        "rounds": plan.rounds,
        "window_s": plan.window,
        "runs": runs,
    }
    if not served:
        return {**result, "cpu_ratio": _ratios(runs)}
    names = [name for name, _ in served]
    return {
        **result,
        "variants": {name: src for name, src in served},
        **_variant_ratios(runs, names),
    }


def _closer(variant: Variant) -> Callable[[], None]:
    def close() -> None:
        if variant.pool is not None:
            variant.pool.close()

    return close
