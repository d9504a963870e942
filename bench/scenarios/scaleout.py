"""Scale-out: write-to-device across 3 instances sharing one PostgreSQL and one Redis.

A restaurant's devices are spread over the three instances and every write goes to a random
one, so most events cross Redis on their way to most devices. The services must be there:
HOSTSTAND_BENCH_POSTGRES_URL and HOSTSTAND_BENCH_REDIS_URL, by default the local ones.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

from bench import procs
from bench.fixtures import drop_postgres_schema, fresh_postgres_schema, make_tenants
from bench.scenarios.write_latency import measure

POSTGRES_URL = os.environ.get(
    "HOSTSTAND_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("HOSTSTAND_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
INSTANCES = 3


def run(quick: bool) -> dict[str, Any]:
    """The write-to-device steps of bench.scenarios.write_latency, over three instances."""
    restaurants, per_room = (30, 6) if quick else (200, 6)
    schema = fresh_postgres_schema(POSTGRES_URL)
    try:
        tenants = make_tenants(POSTGRES_URL, restaurants, schema=schema)
        env = {
            "HOSTSTAND_DATABASE_URL": POSTGRES_URL,
            "HOSTSTAND_DATABASE_SCHEMA": schema,
            "HOSTSTAND_BROKER_URL": REDIS_URL,
            "HOSTSTAND_AUTH_FAILURE_LIMIT": "1000000",
        }
        with contextlib.ExitStack() as stack:
            servers = [
                stack.enter_context(procs.serving(procs.hoststand(env))) for _ in range(INSTANCES)
            ]
            figures = measure(servers, tenants, per_room=per_room, quick=quick)
    finally:
        drop_postgres_schema(POSTGRES_URL, schema)
    return {
        "scenario": "scaleout",
        "instances": INSTANCES,
        "database": "postgresql",
        "broker": "redis",
        **figures,
    }
