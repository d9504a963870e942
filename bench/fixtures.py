"""Restaurants, tokens and guests written straight into a fresh database before a server starts."""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hoststand.bus.memory import MemoryBroker
from hoststand.config import Settings
from hoststand.domain.access import Principal, Role
from hoststand.services import guests, restaurants, tokens
from hoststand.services.commands import GuestCreate, RestaurantCreate, TokenCreate
from hoststand.services.context import ServiceContext
from hoststand.store import migrate
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
            guest = await guests.create(
                ctx,
                principal=BENCH,
                restaurant_id=r.id,
                command=GuestCreate(name=f"Party {n}", party_size=2),
            )
            tenants.append(Tenant(str(r.id), issued.secret, str(guest.id)))
    finally:
        await db.close()
    return tenants
