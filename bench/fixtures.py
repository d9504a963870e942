"""Restaurants, tokens and guests written straight into a fresh database before a server starts."""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from hoststand.bus.memory import MemoryBroker
from hoststand.config import Settings
from hoststand.domain.access import Principal, Role
from hoststand.services import guests, restaurants, tokens
from hoststand.services.commands import GuestCreate, RestaurantCreate, TokenCreate
from hoststand.services.context import ServiceContext
from hoststand.store import migrate
from hoststand.store import schema as tables
from hoststand.store.database import Database

BENCH = Principal(token_id=None, name="bench", role=Role.OWNER, restaurant_id=None, is_admin=True)


@dataclass(frozen=True)
class Tenant:
    """One benchmark restaurant: its id, a host token, and a guest to update."""

    restaurant_id: str
    token: str
    guest_id: str


def fresh_sqlite() -> str:
    """The URL of a new, migrated SQLite database in a temporary directory."""
    path = Path(tempfile.mkdtemp(prefix="hoststand-bench-")) / "bench.db"
    url = f"sqlite+aiosqlite:///{path}"
    migrate.upgrade(url)
    return url


def make_tenants(url: str, count: int, *, schema: str | None = None) -> list[Tenant]:
    """Create `count` restaurants, each with a host token and one waiting guest."""
    return asyncio.run(_make_tenants(url, count, schema))


async def _make_tenants(url: str, count: int, schema: str | None) -> list[Tenant]:
    settings = Settings(database_url=url, database_schema=schema)
    db = Database(url, schema=schema, pool_size=4)
    ctx = ServiceContext(db=db, broker=MemoryBroker(), settings=settings)
    tenants = []
    try:
        for n in range(count):
            r = await restaurants.create(
                ctx, principal=BENCH, command=RestaurantCreate(name=f"Bench {n}")
            )
            issued = await tokens.create(
                ctx,
                principal=BENCH,
                restaurant_id=r.id,
                command=TokenCreate(name="bench device", role=Role.HOST),
            )
            # The id chosen here, not read from what create returns: a variant served from
            # an older src (PYTHONPATH=...) returns the guest itself, a newer one more.
            guest_id = uuid.uuid4()
            await guests.create(
                ctx,
                principal=BENCH,
                restaurant_id=r.id,
                command=GuestCreate(id=guest_id, name=f"Party {n}", party_size=2),
            )
            tenants.append(Tenant(str(r.id), issued.secret, str(guest_id)))
    finally:
        await db.close()
    return tenants


async def insert_bare_restaurants(
    conn: AsyncConnection, count: int
) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """`count` restaurants with a host token each, inserted in bulk: the many keys that the log
    poll's benchmarks read. Their ids, and their tokens' ids in the same order."""
    now = datetime.now(UTC)
    ids = [uuid.uuid4() for _ in range(count)]
    token_ids = [uuid.uuid4() for _ in range(count)]
    for start in range(0, count, 5_000):
        part = range(start, min(start + 5_000, count))
        await conn.execute(
            sa.insert(tables.restaurants),
            [
                {
                    "id": ids[n],
                    "name": f"R{n}",
                    "timezone": "UTC",
                    "turn_times": [],
                    "version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in part
            ],
        )
        await conn.execute(
            sa.insert(tables.api_tokens),
            [
                {
                    "id": token_ids[n],
                    "restaurant_id": ids[n],
                    "name": "host",
                    "role": "host",
                    "secret_hash": secrets.token_hex(32),
                    "created_at": now,
                }
                for n in part
            ],
        )
    return ids, token_ids


def fresh_postgres_schema(url: str) -> str:
    """A new, migrated schema in the PostgreSQL database at `url`; its name."""
    schema = f"hs_bench_{os.getpid()}_{secrets.token_hex(3)}"
    asyncio.run(_schema_ddl(url, f"CREATE SCHEMA {schema}"))
    migrate.upgrade(url, schema=schema)
    return schema


def drop_postgres_schema(url: str, schema: str) -> None:
    """Remove a schema made by fresh_postgres_schema, and everything in it."""
    asyncio.run(_schema_ddl(url, f"DROP SCHEMA IF EXISTS {schema} CASCADE"))


async def _schema_ddl(url: str, statement: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text(statement))
    finally:
        await engine.dispose()
