"""Stored results of Idempotency-Key requests: found until they expire, then replaced."""

from __future__ import annotations

import uuid
from datetime import timedelta

from hoststand.domain.clock import utcnow
from hoststand.store import idempotency
from hoststand.store.database import Database
from hoststand.store.idempotency import StoredResponse

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
