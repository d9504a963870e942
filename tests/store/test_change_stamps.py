"""Change stamps: what the log poll reads instead of every key (restaurants' seqs, revocations).

A row changed by a write carries the database clock's time of that write, and the poll reads
the rows stamped after a watermark taken from the same clock; databases migrated before the
stamps existed are upgraded in place.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from alembic import command

from hoststand.bus.memory import MemoryBroker
from hoststand.domain.access import Principal, Role
from hoststand.domain.clock import utcnow
from hoststand.services import restaurants as restaurant_service
from hoststand.services.commands import RestaurantCreate
from hoststand.services.context import ServiceContext
from hoststand.store import db_clock, event_log, migrate, restaurants, tokens
from hoststand.store.database import Database
from tests.conftest import POSTGRES_URL, Backend, _create_schema, service_missing
from tests.store.conftest import an_event, kept_and_revoked_tokens

ADMIN = Principal(token_id=None, name="admin", role=Role.OWNER, restaurant_id=None, is_admin=True)


async def _clock(database: Database) -> int:
    async with database.read() as conn:
        return await db_clock.read(conn)


async def test_a_seq_moving_is_read_by_a_poll_from_before_it_and_not_after(
    database: Database, restaurant_id: uuid.UUID
) -> None:
    before = await _clock(database)
    async with database.write() as conn:
        await event_log.append(conn, batch=[an_event(restaurant_id, 1)])
    after = await _clock(database)
    async with database.read() as conn:
        assert await restaurants.seqs_changed_since(conn, since_ms=before - 1) == {restaurant_id: 1}
        assert restaurant_id not in await restaurants.seqs_changed_since(conn, since_ms=after)


async def test_a_revocation_is_read_by_a_poll_from_before_it_and_not_after(
    database: Database, restaurant_id: uuid.UUID
) -> None:
    before = await _clock(database)
    async with database.write() as conn:
        kept, revoked = await kept_and_revoked_tokens(conn, restaurant_id)
    after = await _clock(database)
    async with database.read() as conn:
        changed = await tokens.revoked_since(conn, since_ms=before - 1)
        assert revoked.id in changed
        assert kept.id not in changed
        assert revoked.id not in await tokens.revoked_since(conn, since_ms=after)


async def test_a_deletion_is_read_by_a_poll_until_its_id_is_a_restaurant_again(
    database: Database, backend: Backend
) -> None:
    ctx = ServiceContext(db=database, broker=MemoryBroker(), settings=backend.settings())
    chosen = RestaurantCreate(id=uuid.uuid4(), name="Pop-up")
    before = await _clock(database)

    async def deleted() -> set[uuid.UUID]:
        async with database.read() as conn:
            return await restaurants.deleted_since(conn, since_ms=before - 1)

    for _ in range(2):  # an id can be deleted more than once: ids are the client's to choose
        await restaurant_service.create(ctx, principal=ADMIN, command=chosen)
        assert await deleted() == set()  # its devices are not closed by an earlier deletion
        await restaurant_service.delete(ctx, principal=ADMIN, restaurant_id=chosen.id)
        assert await deleted() == {chosen.id}


@pytest.fixture
async def unmigrated(
    backend: Backend, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[str, str | None]]:
    """An empty database of the current backend: a new SQLite file or PostgreSQL schema."""
    if backend.name == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('upgrade') / 'old.db'}", None
        return
    if POSTGRES_URL is None:
        service_missing("PostgreSQL tests need HOSTSTAND_TEST_POSTGRES_URL")
    assert POSTGRES_URL is not None
    schema = f"hs_upgrade_{secrets.token_hex(4)}"
    await _create_schema(POSTGRES_URL, schema)
    yield POSTGRES_URL, schema
    await _create_schema(POSTGRES_URL, schema, drop=True)


async def test_a_database_with_rows_from_before_the_stamps_is_upgraded(
    unmigrated: tuple[str, str | None],
) -> None:
    url, schema = unmigrated
    # Alembic runs its own event loop (store/migrations/env.py): off this test's loop.
    await asyncio.to_thread(command.upgrade, migrate.alembic_config(url, schema=schema), "0001")
    restaurant_id = uuid.uuid4()
    database = Database(url, schema=schema, pool_size=1)
    try:
        async with database.write() as conn:
            await conn.execute(
                sa.text(
                    "INSERT INTO restaurants (id, name, timezone, turn_times, version, last_seq,"
                    " created_at, updated_at) VALUES (:id, 'Old', 'UTC', '[]', 1, 7, :at, :at)"
                ).bindparams(
                    sa.bindparam("id", type_=sa.Uuid()),
                    sa.bindparam("at", type_=sa.DateTime(timezone=True)),
                ),
                {"id": restaurant_id, "at": utcnow()},
            )
        await asyncio.to_thread(migrate.upgrade, url, schema=schema)
        async with database.read() as conn:
            assert await migrate.schema_state(conn) == "ok"
            assert await restaurants.seqs_changed_since(conn, since_ms=-1) == {restaurant_id: 7}
            assert await restaurants.seqs_changed_since(conn, since_ms=0) == {}
        async with database.write() as conn:
            batch = [an_event(restaurant_id, 8)]
            await event_log.append(conn, batch=batch)
        async with database.read() as conn:
            assert await restaurants.seqs_changed_since(conn, since_ms=0) == {restaurant_id: 8}
    finally:
        await database.close()
