"""Two reservations holding one table never overlap in time, however they arrive."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from hoststand.domain.entities import Guest
from hoststand.domain.status import GuestKind, GuestStatus
from hoststand.store import guests
from hoststand.store.database import Database
from tests.conflicts.conftest import CONCURRENCY, Crowd, all_events
from tests.conftest import Backend, Restaurant


def stamp(when: datetime) -> str:
    """The API's timestamp format."""
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def evening(days: int = 2) -> datetime:
    """19:00 UTC a few days from now: far from any 'reserved soon' window."""
    day = datetime.now(UTC) + timedelta(days=days)
    return day.replace(hour=19, minute=0, second=0, microsecond=0)


async def test_fifty_concurrent_overlapping_reservations_hold_the_table_once(
    restaurant: Restaurant, crowd: Crowd
) -> None:
    table = await restaurant.table("20", capacity=6)
    start = evening()
    path = f"{restaurant.path}/guests"
    bookings = [
        {
            "name": f"Booking {i}",
            "party_size": 2,
            "kind": "reservation",
            "reserved_for": stamp(start + timedelta(minutes=i)),  # all within 75 minutes
            "held_table_id": table["id"],
        }
        for i in range(CONCURRENCY)
    ]

    responses = await crowd.fire("POST", [(path, b) for b in bookings], restaurant.tokens["host"])

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * (CONCURRENCY - 1), statuses
    refused = {r.json()["error"]["code"] for r in responses if r.status_code == 409}
    assert refused == {"table_already_held"}
    winner = next(r.json() for r in responses if r.status_code == 201)
    assert winner["duration_minutes"] == 75

    held = await restaurant.api.ok("GET", f"{path}?kind=reservation")
    assert [(g["id"], g["held_table_id"]) for g in held["items"]] == [(winner["id"], table["id"])]
    created = [
        e
        for e in await all_events(restaurant)
        if e["type"] == "guest_updated" and e["action"] == "created"
    ]
    assert [e["guest_id"] for e in created] == [winner["id"]]


@pytest.fixture
async def database(backend: Backend) -> AsyncIterator[Database]:
    """A connection pool of the test's own, as if it were one more server process."""
    db = Database(backend.url, schema=backend.schema)
    yield db
    await db.close()


def booking(restaurant: Restaurant, table_id: str, start: datetime, minutes: int = 90) -> Guest:
    """A reservation entity, written straight through the store (no service checks)."""
    now = datetime.now(UTC)
    return Guest(
        id=uuid.uuid4(),
        restaurant_id=uuid.UUID(restaurant.id),
        name="Direct",
        party_size=2,
        kind=GuestKind.RESERVATION,
        status=GuestStatus.BOOKED,
        reserved_for=start,
        duration_minutes=minutes,
        held_table_id=uuid.UUID(table_id),
        joined_at=now,
        created_at=now,
        updated_at=now,
    )


async def test_the_database_guarantees_no_overlap_even_past_the_service_check(
    backend: Backend, restaurant: Restaurant, database: Database
) -> None:
    """PostgreSQL: an exclusion constraint. SQLite: check and write share one BEGIN IMMEDIATE."""
    if backend.name == "postgres":
        await _exclusion_constraint_refuses_overlaps(restaurant, database)
    else:
        await _no_writer_gets_between_check_and_write(backend, restaurant, database)


async def _exclusion_constraint_refuses_overlaps(
    restaurant: Restaurant, database: Database
) -> None:
    table = await restaurant.table("30")
    start = evening()
    async with database.write() as conn:
        await guests.insert(conn, guest=booking(restaurant, table["id"], start))
    # Back to back is no overlap: holds are [start, end).
    async with database.write() as conn:
        await guests.insert(
            conn, guest=booking(restaurant, table["id"], start + timedelta(minutes=90))
        )
    cancelled = booking(restaurant, table["id"], start + timedelta(minutes=30))
    cancelled.status = GuestStatus.CANCELLED
    async with database.write() as conn:
        await guests.insert(conn, guest=cancelled)

    with pytest.raises(IntegrityError, match="ex_guests_table_hold"):
        async with database.write() as conn:
            await guests.insert(
                conn, guest=booking(restaurant, table["id"], start + timedelta(minutes=30))
            )

    # Restoring the cancelled booking would make it hold again: refused as well.
    cancelled.status = GuestStatus.BOOKED
    with pytest.raises(IntegrityError, match="ex_guests_table_hold"):
        async with database.write() as conn:
            await guests.update(conn, guest=cancelled)


async def _no_writer_gets_between_check_and_write(
    backend: Backend, restaurant: Restaurant, database: Database
) -> None:
    table = await restaurant.table("31")
    start = evening()
    mine = booking(restaurant, table["id"], start)
    path = backend.url.split("///", 1)[1]

    async with database.write() as conn:
        clashes = await guests.overlapping_holds(
            conn,
            table_id=mine.held_table_id,
            start=start,
            end=start + timedelta(minutes=90),
            except_id=None,
        )
        assert clashes == []
        # Any other writer, from any process, is shut out until this transaction ends.
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await asyncio.to_thread(_begin_immediate, path)
        await guests.insert(conn, guest=mine)

    async with database.write() as conn:
        later = await guests.overlapping_holds(
            conn,
            table_id=mine.held_table_id,
            start=start + timedelta(minutes=30),
            end=start + timedelta(minutes=120),
            except_id=None,
        )
    assert [g.id for g in later] == [mine.id]


def _begin_immediate(path: str) -> None:
    other = sqlite3.connect(path, timeout=0.2, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()
