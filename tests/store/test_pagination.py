"""Keyset pages over (created_at, id): no row skipped or repeated, even when times tie."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

from hoststand.domain.cursor import Cursor
from hoststand.domain.status import GuestStatus
from hoststand.store import floor, guests
from hoststand.store.database import Database
from hoststand.store.guests import GuestFilter
from tests.store.conftest import a_guest, a_table


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


async def test_a_page_read_with_its_restaurant_is_the_page_or_none_without_the_restaurant(
    database: Database, restaurant_id: uuid.UUID
) -> None:
    moment = datetime(2025, 9, 1, 10, 0, tzinfo=UTC)
    times = [moment + timedelta(seconds=n % 3) for n in range(7)]
    tables = [a_table(restaurant_id, f"T{n}", created_at=t) for n, t in enumerate(times)]
    guests_of = [a_guest(restaurant_id, f"G{n}") for n in range(4)]
    async with database.write() as conn:
        for table in tables:
            await floor.insert(conn, table=table)
        for guest in guests_of:
            await guests.insert(conn, guest=guest)
    cursor = Cursor(times[0], uuid.UUID(int=0))
    everyone = GuestFilter()
    async with database.read() as conn:
        for limit, after in [(3, None), (3, cursor), (None, cursor), (100, None)]:
            page = await floor.page(conn, restaurant_id=restaurant_id, limit=limit, cursor=after)
            found = await floor.page_if_found(
                conn, restaurant_id=restaurant_id, limit=limit, cursor=after
            )
            assert found == page
            assert page
        waiting = GuestFilter(statuses=frozenset({GuestStatus.WAITING}))
        for where in (everyone, waiting):
            page_of_guests = await guests.page(
                conn, restaurant_id=restaurant_id, where=where, limit=2
            )
            assert page_of_guests
            assert (
                await guests.page_if_found(conn, restaurant_id=restaurant_id, where=where, limit=2)
                == page_of_guests
            )
        # An empty page of a restaurant that exists; no page of one that does not.
        seated = GuestFilter(statuses=frozenset({GuestStatus.SEATED}))
        empty = await guests.page_if_found(
            conn, restaurant_id=restaurant_id, where=seated, limit=10
        )
        assert empty == []
        assert await floor.page_if_found(conn, restaurant_id=uuid.uuid4(), limit=10) is None
        assert (
            await guests.page_if_found(conn, restaurant_id=uuid.uuid4(), where=everyone, limit=10)
            is None
        )
