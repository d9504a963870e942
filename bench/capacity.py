"""`python -m bench.capacity`: what the shared services carry, for the capacity plan.

Not a scenario of `make bench`: three figures that docs/OPERATIONS.md's capacity plan needs
about the services every instance shares, measured on this machine.

- `poll`: the poller's two queries (`restaurants.last_seqs`, `tokens.revoked_among`), 500 keys
  each, against 50,000 restaurants and their tokens in a fresh PostgreSQL schema: median ms; and
  the queries of a poll that reads only changes (`restaurants.seqs_changed_since`,
  `tokens.revoked_since`) when `CHANGED` restaurants (the capacity plan's 2,000 writes/s over
  a poll interval plus the 2 s overlap) and `CHANGED_TOKENS` tokens changed in its window.
- `pgbench`: PostgreSQL's own write transactions/s (`pgbench -N`, 8 clients) in a temporary
  database, as a yardstick for "one primary carries N writes/s".
- `redis`: pub/sub deliveries per second of Redis CPU. `redis-benchmark` publishes ~800-byte
  messages over 1,000 channels while `redis-cli` subscribers (C programs, so that the
  subscribers are not the bottleneck) hold every channel; Redis's own CPU time (INFO cpu) per
  delivery gives deliveries per Redis core-second.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import redis
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from bench.fixtures import insert_bare_restaurants
from bench.machine import describe
from bench.stats import median
from hoststand.store import db_clock, migrate, restaurants, tokens
from hoststand.store.database import Database
from hoststand.store.schema import api_tokens
from hoststand.store.schema import restaurants as restaurants_table

POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
KEYS = 500
CHANGED = 5_000
CHANGED_TOKENS = 10


async def _poll(url: str, count: int, rounds: int) -> dict[str, Any]:
    schema = f"bench_capacity_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(url)
    async with admin.begin() as conn:
        await conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    try:
        await asyncio.to_thread(migrate.upgrade, url, schema=schema)
        engine = Database(url, schema=schema).engine
        async with engine.begin() as conn:
            ids, token_ids = await insert_bare_restaurants(conn, count)
        figures: dict[str, list[float]] = {"last_seqs": [], "revoked_among": []}
        async with engine.connect() as conn:
            for _ in range(rounds):
                keys = random.sample(ids, KEYS)
                started = time.perf_counter()
                found = await restaurants.last_seqs(conn, restaurant_ids=keys)
                figures["last_seqs"].append(time.perf_counter() - started)
                assert len(found) == KEYS
                keys = random.sample(token_ids, KEYS)
                started = time.perf_counter()
                await tokens.revoked_among(conn, token_ids=keys)
                figures["revoked_among"].append(time.perf_counter() - started)
        figures.update(await _changes(engine, ids, token_ids, rounds))
        await engine.dispose()
    finally:
        async with admin.begin() as conn:
            await conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        await admin.dispose()
    return {
        f"{k}_ms_per_{KEYS}_keys" if k in ("last_seqs", "revoked_among") else f"{k}_ms": round(
            median(v) * 1000, 2
        )
        for k, v in figures.items()
    }


async def _changes(
    engine: Any, ids: list[uuid.UUID], token_ids: list[uuid.UUID], rounds: int
) -> dict[str, list[float]]:
    """The two queries of a poll reading changes, with CHANGED rows in its window."""
    changed = random.sample(ids, CHANGED)
    revoked = random.sample(token_ids, CHANGED_TOKENS)
    async with engine.begin() as conn:
        await conn.execute(
            sa.update(restaurants_table)
            .where(restaurants_table.c.id.in_(changed))
            .values(changed_ms=db_clock.now_ms())
        )
        await conn.execute(
            sa.update(api_tokens)
            .where(api_tokens.c.id.in_(revoked))
            .values(changed_ms=db_clock.now_ms(), revoked_at=datetime.now(UTC))
        )
    figures: dict[str, list[float]] = {"seqs_changed_since": [], "revoked_since": []}
    async with engine.connect() as conn:
        since = await db_clock.read(conn) - 60_000
        for _ in range(rounds):
            started = time.perf_counter()
            found = await restaurants.seqs_changed_since(conn, since_ms=since)
            figures["seqs_changed_since"].append(time.perf_counter() - started)
            assert len(found) == CHANGED
            started = time.perf_counter()
            assert len(await tokens.revoked_since(conn, since_ms=since)) == CHANGED_TOKENS
            figures["revoked_since"].append(time.perf_counter() - started)
    return figures


def _pgbench(seconds: int) -> dict[str, Any]:
    database = f"bench_pgbench_{uuid.uuid4().hex[:8]}"
    psql = ["-h", "127.0.0.1", "-U", "postgres"]
    subprocess.run(["createdb", *psql, database], check=True)
    try:
        subprocess.run(
            ["pgbench", *psql, "-i", "-q", "-s", "10", database], check=True, capture_output=True
        )
        out = subprocess.run(
            ["pgbench", *psql, "-N", "-c", "8", "-j", "2", "-T", str(seconds), database],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        subprocess.run(["dropdb", *psql, database], check=True)
    tps = next(line for line in out.splitlines() if line.startswith("tps"))
    return {"pgbench_simple_update_tps": round(float(tps.split()[2]))}


def _redis(url: str, publishes: int, subscribers: int) -> dict[str, Any]:
    client = redis.Redis.from_url(url)
    prefix = f"bench-capacity-{uuid.uuid4().hex[:6]}:"
    channels = [f"{prefix}{n:012d}" for n in range(1_000)]  # redis-benchmark's __rand_int__
    kwargs = client.connection_pool.connection_kwargs
    host, port = kwargs["host"], kwargs["port"]
    subs = [
        subprocess.Popen(
            ["redis-cli", "-h", str(host), "-p", str(port), "subscribe", *channels],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(subscribers)
    ]
    try:
        deadline = time.monotonic() + 30
        while client.pubsub_numsub(channels[-1])[0][1] < subscribers:
            if time.monotonic() > deadline:
                raise RuntimeError("the redis-cli subscribers did not subscribe")
            time.sleep(0.05)
        cpu0 = _redis_cpu(client)
        started = time.perf_counter()
        subprocess.run(
            [
                "redis-benchmark",
                "-h",
                str(host),
                "-p",
                str(port),
                "-q",
                "-n",
                str(publishes),
                "-c",
                "8",
                "-P",
                "16",
                "-r",
                str(len(channels)),
                "PUBLISH",
                f"{prefix}__rand_int__",
                "x" * 800,
            ],
            check=True,
            capture_output=True,
        )
        wall = time.perf_counter() - started
        cpu = _redis_cpu(client) - cpu0
        still = client.pubsub_numsub(channels[-1])[0][1]
        if still < subscribers:
            raise RuntimeError(f"only {still} of {subscribers} subscribers kept up")
    finally:
        for sub in subs:
            sub.terminate()
            sub.wait(10)
    deliveries = publishes * subscribers
    return {
        "redis_publishes_per_s": round(publishes / wall),
        "redis_deliveries_per_s": round(deliveries / wall),
        "redis_cpu_s": round(cpu, 2),
        "redis_deliveries_per_cpu_s": round(deliveries / cpu),
        "redis_subscribers": subscribers,
    }


def _redis_cpu(client: redis.Redis) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--postgres", default=os.environ.get("HOSTSTAND_TEST_POSTGRES_URL", POSTGRES)
    )
    parser.add_argument(
        "--redis", default=os.environ.get("HOSTSTAND_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--restaurants", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--pgbench-seconds", type=int, default=15)
    parser.add_argument("--publishes", type=int, default=200_000)
    parser.add_argument("--subscribers", type=int, default=6)
    args = parser.parse_args()
    figures: dict[str, Any] = {"scenario": "capacity", "machine": describe()}
    figures.update(asyncio.run(_poll(args.postgres, args.restaurants, args.rounds)))
    figures.update(_pgbench(args.pgbench_seconds))
    figures.update(_redis(args.redis, args.publishes, args.subscribers))
    print(json.dumps(figures))
    print(
        f"poll: last_seqs {figures[f'last_seqs_ms_per_{KEYS}_keys']} ms, revoked_among "
        f"{figures[f'revoked_among_ms_per_{KEYS}_keys']} ms per {KEYS} keys over "
        f"{args.restaurants:,} restaurants; reading changes: seqs_changed_since "
        f"{figures['seqs_changed_since_ms']} ms ({CHANGED:,} rows), revoked_since "
        f"{figures['revoked_since_ms']} ms; pgbench -N {figures['pgbench_simple_update_tps']:,} "
        f"tps; Redis {figures['redis_deliveries_per_cpu_s']:,} deliveries per CPU-second "
        f"({figures['redis_deliveries_per_s']:,}/s wall to {args.subscribers} subscribers)",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
