"""SQLite keeps times as SQLAlchemy's DATETIME text of the UTC time; what it holds reads back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from hoststand.domain.entities import Restaurant
from hoststand.store import floor, restaurants
from hoststand.store.database import Database
from tests.conftest import Backend
from tests.store.conftest import a_table

PARIS = timezone(timedelta(hours=2))


@pytest.fixture
async def db(sqlite_backend: Backend) -> Database:
    return Database(sqlite_backend.url, pool_size=1)


async def _restaurant(db: Database) -> uuid.UUID:
    now = datetime.now(UTC)
    restaurant = Restaurant(
        id=uuid.uuid4(), name="Times", timezone="UTC", created_at=now, updated_at=now
    )
    async with db.write() as conn:
        await restaurants.insert(conn, restaurant=restaurant)
    return restaurant.id


async def test_times_are_stored_as_sqlalchemys_datetime_text_of_utc(db: Database) -> None:
    """The text databases written by earlier releases hold, so comparisons with it still hold."""
    restaurant_id = await _restaurant(db)
    times = [
        datetime(2026, 11, 27, 14, 37, 12, tzinfo=UTC),
        datetime(2026, 11, 27, 16, 37, 12, 500, tzinfo=PARIS),
        datetime(2026, 11, 27, 14, 37, 12, 999999, tzinfo=UTC),
    ]
    tables = [a_table(restaurant_id, f"T{n}", created_at=t) for n, t in enumerate(times)]
    try:
        async with db.write() as conn:
            for table in tables:
                await floor.insert(conn, table=table)
        async with db.read() as conn:
            query = sa.text("SELECT created_at FROM tables WHERE id = :id")
            stored = [(await conn.execute(query, {"id": t.id.hex})).scalar_one() for t in tables]
    finally:
        await db.close()
    stock = sqlite.DATETIME().bind_processor(sqlite.dialect())
    assert stock is not None
    assert stored == [stock(t.astimezone(UTC).replace(tzinfo=None)) for t in times]
    assert stored == [
        "2026-11-27 14:37:12.000000",
        "2026-11-27 14:37:12.000500",
        "2026-11-27 14:37:12.999999",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-27 14:37:12.000500", datetime(2026, 11, 27, 14, 37, 12, 500, tzinfo=UTC)),
        ("2026-11-27 14:37:12", datetime(2026, 11, 27, 14, 37, 12, tzinfo=UTC)),
        ("2026-11-27T16:37:12+02:00", datetime(2026, 11, 27, 14, 37, 12, tzinfo=UTC)),
    ],
)
async def test_stored_text_reads_back_as_an_aware_utc_time(
    db: Database, text: str, expected: datetime
) -> None:
    restaurant_id = await _restaurant(db)
    table = a_table(restaurant_id, "T")
    try:
        async with db.write() as conn:
            await floor.insert(conn, table=table)
            await conn.execute(
                sa.text("UPDATE tables SET created_at = :text WHERE id = :id"),
                {"text": text, "id": table.id.hex},
            )
        async with db.read() as conn:
            found = await floor.get(conn, restaurant_id=restaurant_id, table_id=table.id)
    finally:
        await db.close()
    assert found is not None
    assert found.created_at == expected
    assert found.created_at.tzinfo is UTC
