"""`python -m bench.ping_cost`: server CPU per message a device sends, variants compared.

Not a scenario of `make bench`: a micro-measure for working on the inbound path (a frame read,
parsed, handled, answered). Devices of `--restaurants` restaurants connect (`--per-room` each);
one device per restaurant sends `ping` and waits for its `pong`, in a closed loop, for
`--seconds`; the server's CPU over that window is divided by the pings answered.

The machine is shared and noisy, so variants are compared in one run: `--variant NAME=SRC`
(repeatable) serves the hoststand package found in SRC (a checkout's `src` directory, put first
on PYTHONPATH). Every variant's server runs from the start, on the same database, and the
variants take turns for `--rounds`; the medians and their ratio to the first are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from typing import Any

import orjson

from bench import procs, variants
from bench.devices import tenant_devices
from bench.fixtures import Tenant, fresh_sqlite, make_tenants
from bench.stats import median

PING = orjson.dumps({"type": "ping"}).decode()
SETTLE_SECONDS = 0.5


async def _window(
    server: procs.Server, tenants: list[Tenant], per_room: int, seconds: float
) -> float:
    """Connect, ping for `seconds` (after a settling half second); server CPU us per ping."""
    sockets = await tenant_devices([server.base_url], tenants, per_room)
    answered = 0
    stop = time.perf_counter() + SETTLE_SECONDS + seconds

    async def pinger(ws: Any) -> None:
        nonlocal answered
        while time.perf_counter() < stop:
            await ws.send(PING)
            await ws.recv()
            answered += 1

    pingers = [asyncio.create_task(pinger(ws)) for ws in sockets[::per_room]]
    await asyncio.sleep(SETTLE_SECONDS)
    cpu0, pings0 = server.cpu_seconds(), answered
    await asyncio.sleep(seconds)
    cpu, pings = server.cpu_seconds() - cpu0, answered - pings0
    await asyncio.gather(*pingers)
    for ws in sockets:
        ws.transport.abort()
    return cpu / max(pings, 1) * 1e6


def compare(args: argparse.Namespace) -> dict[str, Any]:
    """Every variant's server up at once, then `args.rounds` alternating windows each."""
    served = variants.parse(args.variant)
    url = fresh_sqlite()
    tenants = make_tenants(url, args.restaurants)
    servers = {
        name: procs.hoststand({"HOSTSTAND_DATABASE_URL": url, **variants.served_from(src)})
        for name, src in served
    }
    runs: dict[str, list[float]] = {name: [] for name in servers}
    try:
        for server in servers.values():
            server.start()
        for _ in range(args.rounds):
            for name, server in servers.items():
                window = _window(server, tenants, args.per_room, args.seconds)
                runs[name].append(round(asyncio.run(window), 2))
    finally:
        for server in servers.values():
            server.stop()
    medians = {name: median(values) for name, values in runs.items()}
    first = medians[served[0][0]]
    return {
        "restaurants": args.restaurants,
        "per_room": args.per_room,
        "rounds": args.rounds,
        "load_1m": round(os.getloadavg()[0], 2),
        "server_cpu_us_per_ping": runs,
        "medians": medians,
        "cpu_ratio_to_first": {name: round(m / first, 3) for name, m in medians.items()},
    }


def main(argv: list[str] | None = None) -> int:
    """Parse the options, measure, print one JSON line and a summary."""
    parser = argparse.ArgumentParser(prog="python -m bench.ping_cost", description=__doc__)
    parser.add_argument("--restaurants", type=int, default=20)
    parser.add_argument("--per-room", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--variant", action="append", default=[], metavar="NAME=SRC")
    args = parser.parse_args(argv)
    figures = compare(args)
    print(orjson.dumps(figures).decode(), flush=True)
    for name, value in figures["medians"].items():
        ratio = figures["cpu_ratio_to_first"][name]
        print(f"{name}: {value} us of server CPU per ping answered ({ratio}x)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
