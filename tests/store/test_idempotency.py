"""Stored results of Idempotency-Key requests: found until they expire, then replaced."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import sqlalchemy as sa

from hoststand.domain.clock import utcnow
from hoststand.store import event_log, idempotency, restaurants
from hoststand.store.database import Database
from hoststand.store.idempotency import StoredResponse
from tests.conftest import Backend
from tests.store.conftest import SESSIONS, a_restaurant, an_event, until_a_lock_is_awaited

DAY = timedelta(days=1)


async def test_a_stored_result_is_found_until_it_expires(
    database: Database, restaurant_id: uuid.UUID
) -> None:
    now = utcnow()
    first = StoredResponse("hash-1", 201, '{"n": 1}')
    async with database.write() as conn:
        await idempotency.store(
            conn,
            restaurant_id=restaurant_id,
            key="k",
            response=first,
            now=now,
            expires_at=now + DAY,
        )
    async with database.read() as conn:
        assert await idempotency.find(conn, restaurant_id=restaurant_id, key="k", now=now) == first
        later = now + 2 * DAY
        assert await idempotency.find(conn, restaurant_id=restaurant_id, key="k", now=later) is None


async def test_an_expired_key_used_again_keeps_the_new_result(
    database: Database, restaurant_id: uuid.UUID
) -> None:
    then, now = utcnow() - 2 * DAY, utcnow()
    old = StoredResponse("hash-old", 200, '{"n": 1}')
    new = StoredResponse("hash-new", 201, '{"n": 2}')
    async with database.write() as conn:
        await idempotency.store(
            conn,
            restaurant_id=restaurant_id,
            key="k",
            response=old,
            now=then,
            expires_at=then + DAY,
        )
    async with database.write() as conn:
        assert await idempotency.find(conn, restaurant_id=restaurant_id, key="k", now=now) is None
        await idempotency.store(
            conn, restaurant_id=restaurant_id, key="k", response=new, now=now, expires_at=now + DAY
        )
    async with database.read() as conn:
        assert await idempotency.find(conn, restaurant_id=restaurant_id, key="k", now=now) == new


async def test_a_writer_that_waited_for_the_lock_reads_the_response_kept_meanwhile(
    postgres_backend: Backend, postgres_database: Database
) -> None:
    """The key read with the lock is as committed once the lock is held, not when it was asked.

    The second writer's read begins while the first holds the restaurant's lock; the first
    keeps its response and commits; the second must see it, or one key would write twice.
    """
    db = postgres_database
    restaurant_id = await a_restaurant(db)
    first_kept, first_may_commit = asyncio.Event(), asyncio.Event()
    second_pid: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    kept = StoredResponse("hash-1", 200, '{"n": 1}')

    async def first() -> None:
        async with db.write() as conn:
            locked = await restaurants.lock(conn, restaurant_id=restaurant_id, key="k")
            assert locked is not None
            assert locked.stored is None
            now = utcnow()
            response = idempotency.write(
                "postgresql",
                restaurant_id=restaurant_id,
                key="k",
                response=kept,
                now=now,
                expires_at=now + DAY,
            )
            await event_log.append(conn, batch=[an_event(restaurant_id, 1)], writes=[response])
            first_kept.set()
            await first_may_commit.wait()

    async def second() -> restaurants.Locked | None:
        async with db.write() as conn:
            second_pid.set_result((await conn.execute(sa.text("SELECT pg_backend_pid()"))).one()[0])
            return await restaurants.lock(conn, restaurant_id=restaurant_id, key="k")

    holding = asyncio.create_task(first())
    await first_kept.wait()
    waiting = asyncio.create_task(second())
    await until_a_lock_is_awaited(postgres_backend.url, SESSIONS.c.pid == await second_pid)
    first_may_commit.set()
    await asyncio.wait_for(holding, 30)
    locked = await asyncio.wait_for(waiting, 30)

    assert locked is not None
    assert locked.stored is not None
    assert locked.stored.live(utcnow()) == kept
    assert locked.restaurant.last_seq == 1
