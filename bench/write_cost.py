"""`python -m bench.write_cost`: server CPU per REST guest update, the write path's own cost.

Not a scenario of `make bench`: a micro-measure for working on the write path. It starts a
server on a fresh database, sends PATCH guest updates (one at a time by default,
`--concurrency` at once otherwise) and prints the server's CPU time and the wall time per write.
`--keyed` sends each with a fresh Idempotency-Key and If-Match, as docs/WRITES.md asks clients to.
`--get` sends GETs of the same guests instead: the read path's cost, in the same figures (each
"write" is then a read).
`--devices N` connects N devices to every restaurant first (from a process of their own), so
that each write's event is delivered N times: the CPU it adds is what the event path costs a
write, which `python -m bench write_to_device` counts and this otherwise does not.

The machine is shared and noisy, so variants are compared in one run: `--variant NAME=SRC`
(repeatable) serves the hoststand package found in SRC (a checkout's `src` directory, put first
on PYTHONPATH), and `--rounds` alternates the variants, so that each sees the same noise; the
medians and their ratio to the first variant are printed. `--profile FILE` records the server
with py-spy (speedscope format) while it measures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import orjson

from bench import procs, variants
from bench.devices import tenant_devices
from bench.fixtures import Tenant, fresh_sqlite, make_tenants
from bench.http1 import ConnectionPool
from bench.machine import speed_probe
from bench.stats import latency_summary
from bench.workers import Control, Pool

DEVICES_READY_TIMEOUT = 600.0
DELIVERIES_TIMEOUT = 60.0


async def _requests(
    server: procs.Server,
    tenants: list[Tenant],
    count: int,
    lanes: int,
    *,
    keyed: bool = False,
    get: bool = False,
) -> list[float]:
    """`count` PATCHes (GETs with `get`) of the tenants' guests, `lanes` at once; latencies."""
    latencies: list[float] = []
    http = ConnectionPool("127.0.0.1", server.port)
    versions: dict[str, int] = {}  # per guest, what its last write returned (--keyed)

    async def writer(lane: int) -> None:
        for n in range(lane, count, lanes):
            t = tenants[n % len(tenants)]
            headers = {"Authorization": f"Bearer {t.token}"}
            if keyed:
                headers["Idempotency-Key"] = uuid.uuid4().hex
                if t.guest_id in versions:
                    headers["If-Match"] = f'"{versions[t.guest_id]}"'
            path = f"/api/v1/restaurants/{t.restaurant_id}/guests/{t.guest_id}"
            started = time.perf_counter()
            if get:
                status, body = await http.request("GET", path, headers, b"")
            else:
                status, body = await http.request(
                    "PATCH", path, headers, orjson.dumps({"notes": f"n{n}"})
                )
            latencies.append(time.perf_counter() - started)
            if status != 200:
                raise RuntimeError(f"{status}: {body.decode()}")
            if keyed:
                versions[t.guest_id] = orjson.loads(body)["version"]

    try:
        await asyncio.gather(*(writer(lane) for lane in range(lanes)))
    finally:
        await http.close()
    return latencies


async def devices(config: dict[str, Any], ctl: Control) -> None:
    """Connect `per_room` devices to each restaurant; on ("wait", N), answer once N arrived.

    The answer is the count received, which is less than N if they did not all arrive within
    DELIVERIES_TIMEOUT.
    """
    try:
        await _devices(config, ctl)
    except Exception as exc:
        ctl.send({"error": repr(exc)})


async def _devices(config: dict[str, Any], ctl: Control) -> None:
    tenants = [Tenant(**t) for t in config["tenants"]]
    sockets = await tenant_devices([config["base_url"]], tenants, config["per_room"])
    received, wanted, arrived = 0, 0, asyncio.Event()

    async def read(ws: Any) -> None:
        nonlocal received
        with contextlib.suppress(Exception):
            async for _ in ws:
                received += 1
                if received >= wanted:
                    arrived.set()

    readers = [asyncio.create_task(read(ws)) for ws in sockets]
    ctl.send({"ready": len(sockets)})
    while (command := await ctl.recv())[0] == "wait":
        wanted = command[1]
        arrived.clear()
        if received < wanted:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(arrived.wait(), DELIVERIES_TIMEOUT)
        ctl.send({"received": received})
    for ws in sockets:
        ws.transport.abort()
    await asyncio.gather(*readers, return_exceptions=True)


@contextlib.contextmanager
def _connected(server: procs.Server, tenants: list[Tenant], per_room: int) -> Iterator[Pool | None]:
    """`per_room` devices on each restaurant of `server` (none for 0), until the block ends."""
    if not per_room:
        yield None
        return
    config = {
        "base_url": server.base_url,
        "per_room": per_room,
        "tenants": [t.__dict__ for t in tenants],
    }
    pool = Pool("bench.write_cost:devices", [config])
    try:
        pool.gather(DEVICES_READY_TIMEOUT)
        yield pool
    finally:
        pool.close()


def _delivered(pool: Pool | None, wanted: int) -> int:
    """How many events the devices have received, once `wanted` arrived (or the wait ran out)."""
    if pool is None:
        return 0
    [reply] = pool.ask(("wait", wanted), timeout=DELIVERIES_TIMEOUT + 30)
    return int(reply["received"])


@contextlib.contextmanager
def _database(postgres: str | None) -> Iterator[tuple[str, str | None]]:
    """A fresh migrated database: a temporary SQLite file, or a new schema dropped afterwards."""
    if postgres is None:
        yield fresh_sqlite(), None
        return
    from hoststand.store import migrate

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    _ddl(postgres, f"CREATE SCHEMA {schema}")
    try:
        migrate.upgrade(postgres, schema=schema)
        yield postgres, schema
    finally:
        _ddl(postgres, f"DROP SCHEMA {schema} CASCADE")


def _ddl(url: str, statement: str) -> None:
    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import create_async_engine

    async def run() -> None:
        engine = create_async_engine(url)
        async with engine.begin() as conn:
            await conn.execute(sa.text(statement))
        await engine.dispose()

    asyncio.run(run())


def measure(args: argparse.Namespace, src: str | None) -> dict[str, Any]:
    """Warm up, then measure `args.writes` updates served from `src`; the figures as a dict."""
    with _database(args.postgres) as (url, schema):
        tenants = make_tenants(url, args.restaurants, schema=schema)
        env = {"HOSTSTAND_DATABASE_URL": url, "HOSTSTAND_AUTH_FAILURE_LIMIT": "1000000"}
        if schema:
            env["HOSTSTAND_DATABASE_SCHEMA"] = schema
        env.update(variants.served_from(src))
        env.update(pair.partition("=")[::2] for pair in args.env)
        with (
            procs.serving(procs.hoststand(env)) as server,
            _connected(server, tenants, args.devices) as receivers,
        ):
            asyncio.run(
                _requests(
                    server, tenants, args.warmup, args.concurrency, keyed=args.keyed, get=args.get
                )
            )
            before = _delivered(receivers, args.warmup * args.devices)
            spy = _py_spy(server, args.profile) if args.profile else None
            threads0 = _thread_cpu(server, {})
            cpu0, wall0 = server.cpu_seconds(), time.perf_counter()
            latencies = asyncio.run(
                _requests(
                    server, tenants, args.writes, args.concurrency, keyed=args.keyed, get=args.get
                )
            )
            wall = time.perf_counter() - wall0
            # The server's CPU once every event is out: a delivery runs after its write's response.
            after = _delivered(receivers, before + args.writes * args.devices)
            cpu = server.cpu_seconds() - cpu0
            threads = _thread_cpu(server, threads0)
            if spy is not None:
                spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
                spy.wait(60)
    per_write = 1000 / args.writes
    return {
        "server_cpu_ms_per_write": round(cpu * per_write, 3),
        "main_thread_cpu_ms": round(threads["main"] * per_write, 3),
        "other_threads_cpu_ms": round(threads["other"] * per_write, 3),
        "wall_ms_per_write": round(wall * per_write, 3),
        "writes_per_s": round(args.writes / wall),
        "deliveries_per_write": round((after - before) / args.writes, 3),
        **latency_summary(latencies),
    }


def _thread_cpu(server: procs.Server, before: dict[str, float]) -> dict[str, float]:
    """CPU seconds of the main thread and of all other threads together, since `before`."""
    totals = {"main": 0.0, "other": 0.0}
    for thread in server.ps.threads():
        key = "main" if thread.id == server.ps.pid else "other"
        totals[key] += thread.user_time + thread.system_time
    return {k: v - before.get(k, 0.0) for k, v in totals.items()}


def _py_spy(server: procs.Server, out: str) -> subprocess.Popen[bytes]:
    native = "--native" if os.environ.get("BENCH_PY_SPY_NATIVE") else "--nonblocking"
    return variants.py_spy(server, out, "-f", "speedscope", "--rate", "250", "--threads", native)


def compare(args: argparse.Namespace) -> dict[str, Any]:
    """Each variant `args.rounds` times, alternating; per-variant medians and ratios."""
    served = variants.parse(args.variant)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in served}
    probe_before = speed_probe()
    for _ in range(args.rounds):
        for name, src in served:
            runs[name].append(measure(args, src))
    medians = variants.medians(runs)
    first = medians[served[0][0]]["server_cpu_ms_per_write"]
    return {
        "database": "postgresql" if args.postgres else "sqlite",
        "writes": args.writes,
        "concurrency": args.concurrency,
        "keyed": args.keyed,
        "request": "GET" if args.get else "PATCH",
        "devices_per_restaurant": args.devices,
        "rounds": args.rounds,
        "load_1m": round(os.getloadavg()[0], 2),
        # bench/machine.py: how fast the machine ran, before and after (lower is faster).
        "speed_probe_ms": [probe_before, speed_probe()],
        "medians": medians,
        "cpu_ratio_to_first": {
            name: round(m["server_cpu_ms_per_write"] / first, 3) for name, m in medians.items()
        },
    }


def main(argv: list[str] | None = None) -> int:
    """Parse the options, measure, print one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m bench.write_cost", description=__doc__)
    parser.add_argument("--writes", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--restaurants", type=int, default=20)
    parser.add_argument(
        "--devices", type=int, default=0, help="devices connected to each restaurant"
    )
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--variant", action="append", default=[], metavar="NAME=SRC")
    parser.add_argument("--postgres", metavar="URL", help="postgresql+asyncpg://... (new schema)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--profile", metavar="FILE", help="py-spy speedscope output")
    parser.add_argument(
        "--keyed",
        action="store_true",
        help="send Idempotency-Key and If-Match, as docs/WRITES.md asks clients to",
    )
    parser.add_argument(
        "--get", action="store_true", help="send GETs of the guests instead: the read path"
    )
    args = parser.parse_args(argv)
    if args.get and (args.keyed or args.devices):
        parser.error("--get sends reads: no --keyed, and no events for --devices to count")
    if args.keyed and args.concurrency > 1:
        parser.error("--keyed needs --concurrency 1: If-Match names what the last write returned")
    print(orjson.dumps(compare(args)).decode(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
