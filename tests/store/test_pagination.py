"""Keyset pages over (created_at, id): no row skipped or repeated, even when times tie."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

from hoststand.domain.cursor import Cursor
from hoststand.store import floor
from hoststand.store.database import Database
from tests.store.conftest import a_table


async def test_pages_neither_skip_nor_repeat_rows_created_at_the_same_moment(
    database: Database, restaurant_id: uuid.UUID
) -> None:
    moment = datetime(2025, 9, 1, 10, 0, 0, 500000, tzinfo=UTC)
    times = [moment] * 5 + [moment + timedelta(microseconds=1)] * 2 + [moment - timedelta(days=1)]
    tables = [a_table(restaurant_id, f"L{n}", created_at=t) for n, t in enumerate(times)]
    async with database.write() as conn:
        for table in tables:
            await floor.insert(conn, table=table)
    expected = [t.id for t in sorted(tables, key=lambda t: (t.created_at, t.id))]

    seen: list[uuid.UUID] = []
    cursor: Cursor | None = None
    while True:
        async with database.read() as conn:
            page = await floor.page(conn, restaurant_id=restaurant_id, limit=3, cursor=cursor)
        seen.extend(t.id for t in page)
        if len(page) < 3:
            break
        # What the API hands out and gets back: the encoded cursor of the last row.
        cursor = Cursor.decode(Cursor(page[-1].created_at, page[-1].id).encode())
    assert seen == expected


async def test_times_come_back_aware_in_utc_to_the_microsecond(
    database: Database, restaurant_id: uuid.UUID
) -> None:
    paris = datetime(2025, 9, 1, 12, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    table = a_table(restaurant_id, "Clock", created_at=paris)
    async with database.write() as conn:
        await floor.insert(conn, table=table)
    async with database.read() as conn:
        stored = await floor.get(conn, restaurant_id=restaurant_id, table_id=table.id)
    assert stored is not None
    assert stored.created_at.tzinfo is not None
    assert stored.created_at.utcoffset() == timedelta(0)
    assert stored.created_at == paris
