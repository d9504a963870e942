"""`python -m bench.poll_cost`: what one log poll costs an instance, variants compared.

Not a scenario of `make bench`: a micro-measure for working on the hub's poller. Each round
runs, per variant, a worker process that imports hoststand from the variant's SRC: on a fresh
database (SQLite file, or a PostgreSQL schema with `--postgres`) of `--restaurants`
restaurants with a host token each, a Hub holds `--rooms` open rooms and as many devices'
tokens; every `--interval` seconds `--changes` restaurants of those rooms get an event (each
its own write, as the REST writes do), then the hub polls once (`Hub.poll_once`). It reports
the poll's wall time and this process's CPU time (SQLite's work included, PostgreSQL's not),
median over `--polls` polls. The rooms never start a fill (they are marked as filling), so
only the poll is measured. A variant whose polls read changes also reports its full sweep
(`full_*`), which it runs every `log_sweep_interval_seconds`.

The machine is shared and noisy: `--variant NAME=SRC` (repeatable), rounds alternated,
medians of the rounds printed with the ratio of each variant to the first.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import os
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import orjson

from bench import variants
from bench.stats import median


async def _worker(args: argparse.Namespace, url: str, schema: str | None) -> dict[str, Any]:
    from bench.fixtures import insert_bare_restaurants
    from hoststand.bus.memory import MemoryBroker
    from hoststand.config import Settings
    from hoststand.domain.clock import utcnow
    from hoststand.domain.events import Event, EventType
    from hoststand.metrics import Metrics
    from hoststand.realtime import hub as hub_module
    from hoststand.services.context import ServiceContext
    from hoststand.store import event_log
    from hoststand.store.database import Database

    db = Database(url, schema=schema, pool_size=4)
    async with db.write(bulk=True) as conn:
        ids, token_ids = await insert_bare_restaurants(conn, args.restaurants)
    settings = Settings(database_url=url, database_schema=schema)
    ctx = ServiceContext(db=db, broker=MemoryBroker(), settings=settings, metrics=Metrics())
    hub = hub_module.Hub(ctx)
    room_ids = ids[: args.rooms]
    for rid, token_id in zip(room_ids, token_ids, strict=False):
        # A room as Hub._open leaves it (the variant's Room may want a replay buffer).
        extra = [hub._replay_buffer()] if hasattr(hub, "_replay_buffer") else []
        room = hub_module.Room(rid, *extra)
        room.seq = 0
        room.filling = True  # the poll only notes how far behind: no fill is measured
        room.ready.set()
        hub.rooms[rid] = room
        hub._tokens[token_id] += 1
    seqs = dict.fromkeys(room_ids, 0)
    reads_changes = "full" in inspect.signature(hub.poll_once).parameters
    # Before the event log's trigger (migration 0003) the append was told its restaurant.
    names_restaurant = "restaurant_id" in inspect.signature(event_log.append).parameters
    if reads_changes:
        await hub.poll_once(full=True)  # as its first poll does
    walls: list[float] = []
    cpus: list[float] = []
    for _ in range(args.polls):
        tick = time.perf_counter() + args.interval
        for rid in random.sample(room_ids, args.changes):
            seqs[rid] += 1
            event = Event(
                rid, seqs[rid], uuid.uuid4(), EventType.GUEST_UPDATED, "x", utcnow(), "{}"
            )
            extra = {"restaurant_id": rid} if names_restaurant else {}
            async with db.write() as conn:
                await event_log.append(conn, batch=[event], **extra)
        await asyncio.sleep(max(0.0, tick - time.perf_counter()))
        wall, cpu = time.perf_counter(), time.process_time()
        await hub.poll_once()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    figures = {"poll_wall_ms": median(walls) * 1000, "poll_cpu_ms": median(cpus) * 1000}
    if reads_changes:
        walls, cpus = [], []
        for _ in range(5):
            wall, cpu = time.perf_counter(), time.process_time()
            await hub.poll_once(full=True)
            cpus.append(time.process_time() - cpu)
            walls.append(time.perf_counter() - wall)
        figures.update(full_wall_ms=median(walls) * 1000, full_cpu_ms=median(cpus) * 1000)
    await db.close()
    return {k: round(v, 3) for k, v in figures.items()}


def _run_worker(args: argparse.Namespace) -> None:
    from bench import fixtures

    if args.postgres:
        url, schema = args.postgres, fixtures.fresh_postgres_schema(args.postgres)
    else:
        url, schema = fixtures.fresh_sqlite(), None
    try:
        figures = asyncio.run(_worker(args, url, schema))
    finally:
        if schema is not None:
            fixtures.drop_postgres_schema(url, schema)
    sys.stdout.write(orjson.dumps(figures).decode() + "\n")


def _spawn(argv: list[str], src: str | None) -> dict[str, Any]:
    env = {**os.environ, **variants.served_from(src)}
    out = subprocess.run(
        [sys.executable, "-m", "bench.poll_cost", "--worker", *argv],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent.parent,
    ).stdout
    return dict(orjson.loads(out.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--restaurants", type=int, default=5_000)
    parser.add_argument("--rooms", type=int, default=4_400)
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--polls", type=int, default=20)
    parser.add_argument("--postgres", help="a PostgreSQL URL; SQLite when absent")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--variant", action="append", default=[], metavar="NAME=SRC")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _run_worker(args)
        return
    argv = [
        f"--{name}={getattr(args, name)}"
        for name in ("restaurants", "rooms", "changes", "interval", "polls")
    ]
    if args.postgres:
        argv.append(f"--postgres={args.postgres}")
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in variants.parse(args.variant)}
    for _ in range(args.rounds):
        for name, src in variants.parse(args.variant):
            runs[name].append(_spawn(argv, src))
            print(name, runs[name][-1], file=sys.stderr)
    result = variants.medians(runs)
    first = next(iter(result.values()))
    for name, figures in result.items():
        ratios = {k: round(v / first[k], 3) for k, v in figures.items() if first.get(k)}
        print(orjson.dumps({"variant": name, **figures, "ratio_to_first": ratios}).decode())


if __name__ == "__main__":
    main()
