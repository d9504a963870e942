"""Writes on PostgreSQL lock as READ COMMITTED, whatever the server's default isolation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from hoststand.store import event_log, restaurants
from hoststand.store.database import Database
from tests.conftest import Backend, postgres_role
from tests.store.conftest import SESSIONS, a_restaurant, an_event, until_a_lock_is_awaited


@pytest.fixture
async def serializable_database(postgres_backend: Backend) -> AsyncIterator[Database]:
    """The test schema, through a role whose sessions default to SERIALIZABLE.

    A member of the role that owns the tables, as an operator's application role would be.
    """
    owner = sa.make_url(postgres_backend.url).username
    member = f'GRANT "{owner}" TO {{role}}'
    serializable = "ALTER ROLE {role} SET default_transaction_isolation = 'serializable'"
    async with postgres_role(postgres_backend.url, "hs_serializable", member, serializable) as url:
        db = Database(url, schema=postgres_backend.schema, pool_size=2)
        try:
            yield db
        finally:
            await db.close()


async def _isolation(conn: AsyncConnection) -> str | None:
    return (await conn.execute(sa.text("SHOW transaction_isolation"))).scalar()


async def test_a_write_is_read_committed_and_a_read_one_snapshot(
    serializable_database: Database,
) -> None:
    async with serializable_database.write() as conn:
        assert await _isolation(conn) == "read committed"
    async with serializable_database.read() as conn:
        assert await _isolation(conn) == "repeatable read"


async def test_two_writers_of_a_restaurant_both_commit_in_turn(
    postgres_backend: Backend, serializable_database: Database
) -> None:
    # The second waits for the first's lock, then reads the restaurant as the first left it.
    # Under the role's SERIALIZABLE it would be refused: could not serialize access.
    db = serializable_database
    restaurant_id = await a_restaurant(db)
    first_locked, first_may_commit = asyncio.Event(), asyncio.Event()

    async def write(seq: int, *, hold: bool) -> int:
        async with db.write() as conn:
            restaurant = await restaurants.get(conn, restaurant_id=restaurant_id, lock=True)
            assert restaurant is not None
            if hold:
                await event_log.append(conn, batch=[an_event(restaurant_id, seq)])
                first_locked.set()
                await first_may_commit.wait()
                return seq
            assert restaurant.last_seq == seq - 1  # what the first committed
            await event_log.append(conn, batch=[an_event(restaurant_id, seq)])
            return seq

    first = asyncio.create_task(write(1, hold=True))
    await first_locked.wait()
    second = asyncio.create_task(write(2, hold=False))
    await until_a_lock_is_awaited(
        postgres_backend.url, SESSIONS.c.usename.like("hs_serializable_%")
    )
    first_may_commit.set()
    assert await asyncio.wait_for(asyncio.gather(first, second), 30) == [1, 2]
