"""Fixtures of the store tests: the test database opened directly, and rows to fill it with."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from hoststand.domain.access import ApiToken, Role
from hoststand.domain.clock import utcnow
from hoststand.domain.entities import Guest, Restaurant, Table
from hoststand.domain.events import Event, EventType
from hoststand.domain.status import GuestKind, GuestStatus
from hoststand.store import restaurants, tokens
from hoststand.store.database import Database
from tests.conftest import Backend
from tests.waiting import eventually


@pytest.fixture
async def database(backend: Backend) -> AsyncIterator[Database]:
    """The migrated test database of the current backend, without any server in front."""
    db = Database(backend.url, schema=backend.schema, pool_size=2)
    yield db
    await db.close()


@pytest.fixture
async def sqlite_database(sqlite_backend: Backend) -> AsyncIterator[Database]:
    """The migrated SQLite test file, for what only SQLite does."""
    db = Database(sqlite_backend.url, pool_size=2)
    yield db
    await db.close()


@pytest.fixture
async def postgres_database(postgres_backend: Backend) -> AsyncIterator[Database]:
    """The migrated PostgreSQL test schema, for what only PostgreSQL does."""
    db = Database(postgres_backend.url, schema=postgres_backend.schema, pool_size=2)
    yield db
    await db.close()


@pytest.fixture
async def restaurant_id(database: Database) -> uuid.UUID:
    """A restaurant inserted straight through the store."""
    return await a_restaurant(database)


async def a_restaurant(database: Database) -> uuid.UUID:
    """A new restaurant, inserted straight through the store; its id."""
    now = utcnow()
    restaurant = Restaurant(
        id=uuid.uuid4(), name="Store test", timezone="UTC", created_at=now, updated_at=now
    )
    async with database.write() as conn:
        await restaurants.insert(conn, restaurant=restaurant)
    return restaurant.id


def a_table(restaurant_id: uuid.UUID, label: str, **fields: Any) -> Table:
    """A table entity, not yet stored."""
    now: datetime = fields.pop("created_at", utcnow())
    return Table(
        id=uuid.uuid4(),
        restaurant_id=restaurant_id,
        label=label,
        capacity=4,
        created_at=now,
        updated_at=now,
        **fields,
    )


def a_guest(restaurant_id: uuid.UUID, name: str, **fields: Any) -> Guest:
    """A waiting walk-in entity (unless fields say otherwise), not yet stored."""
    now = utcnow()
    values: dict[str, Any] = {
        "kind": GuestKind.WALK_IN,
        "status": GuestStatus.WAITING,
        "joined_at": now,
        "created_at": now,
        "updated_at": now,
    }
    values.update(fields)
    return Guest(id=uuid.uuid4(), restaurant_id=restaurant_id, name=name, party_size=2, **values)


def an_event(restaurant_id: uuid.UUID, seq: int) -> Event:
    """A guest event at `seq`, not yet appended."""
    return Event(
        restaurant_id=restaurant_id,
        seq=seq,
        id=uuid.uuid4(),
        type=EventType.GUEST_UPDATED,
        action="created",
        occurred_at=utcnow(),
        message="{}",
    )


async def kept_and_revoked_tokens(
    conn: AsyncConnection, restaurant_id: uuid.UUID
) -> tuple[ApiToken, ApiToken]:
    """Two host tokens of the restaurant, stored; the second is revoked."""
    now = utcnow()
    kept, revoked = (
        ApiToken(uuid.uuid4(), restaurant_id, name, Role.HOST, created_at=now)
        for name in ("kept", "revoked")
    )
    for token in (kept, revoked):
        await tokens.insert(conn, token=token, secret_hash=secrets.token_hex(32))
    await tokens.revoke(conn, token_id=revoked.id, at=now)
    return kept, revoked


# The columns of PostgreSQL's view of its sessions that until_a_lock_is_awaited reads.
SESSIONS = sa.table(
    "pg_stat_activity", sa.column("pid"), sa.column("usename"), sa.column("wait_event_type")
)


async def until_a_lock_is_awaited(url: str, which: sa.ColumnElement[bool]) -> None:
    """Wait until a PostgreSQL session matching `which` (of SESSIONS) waits for a lock."""
    engine = create_async_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    query = sa.select(sa.func.count() > 0).where(which, SESSIONS.c.wait_event_type == "Lock")
    try:
        async with engine.connect() as conn:

            async def waiting() -> bool:
                return bool((await conn.execute(query)).scalar())

            await eventually(waiting, "a writer to wait for another's lock", timeout=30)
    finally:
        await engine.dispose()
