"""The database itself refuses double seating, whatever the code above it does.

These tests write straight through the store layer, past every check of the services.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.exc import IntegrityError

from hoststand.domain.clock import utcnow
from hoststand.domain.status import GuestStatus, TableStatus
from hoststand.store import floor, guests
from hoststand.store.database import Database
from tests.store.conftest import a_guest, a_table


async def _tables(database: Database, restaurant_id: uuid.UUID, *labels: str) -> list[uuid.UUID]:
    created = [a_table(restaurant_id, label) for label in labels]
    async with database.write() as conn:
        for table in created:
            await floor.insert(conn, table=table)
    return [t.id for t in created]


async def _seated_count(database: Database, restaurant_id: uuid.UUID, table_id: uuid.UUID) -> int:
    async with database.read() as conn:
        everyone = await guests.page(
            conn, restaurant_id=restaurant_id, where=guests.GuestFilter(), limit=None
        )
    return sum(1 for g in everyone if g.table_id == table_id and g.status is GuestStatus.SEATED)


async def test_a_second_seated_guest_for_one_table_is_refused_on_insert(
    database: Database, restaurant_id: uuid.UUID
) -> None:
    (table_id,) = await _tables(database, restaurant_id, "Guarded")
    first = a_guest(restaurant_id, "First", status=GuestStatus.SEATED, table_id=table_id)
    async with database.write() as conn:
        await guests.insert(conn, guest=first)
    second = a_guest(restaurant_id, "Second", status=GuestStatus.SEATED, table_id=table_id)
    with pytest.raises(IntegrityError):
        async with database.write() as conn:
            await guests.insert(conn, guest=second)
    assert await _seated_count(database, restaurant_id, table_id) == 1


async def test_a_second_seated_guest_for_one_table_is_refused_on_update(
    database: Database, restaurant_id: uuid.UUID
) -> None:
    (table_id,) = await _tables(database, restaurant_id, "Guarded")
    first = a_guest(restaurant_id, "First", status=GuestStatus.SEATED, table_id=table_id)
    second = a_guest(restaurant_id, "Second")
    async with database.write() as conn:
        await guests.insert(conn, guest=first)
        await guests.insert(conn, guest=second)
    second.status, second.table_id, second.seated_at = GuestStatus.SEATED, table_id, utcnow()
    with pytest.raises(IntegrityError):
        async with database.write() as conn:
            await guests.update(conn, guest=second)
    async with database.read() as conn:
        stored = await guests.get(conn, restaurant_id=restaurant_id, guest_id=second.id)
    assert stored is not None
    assert (stored.status, stored.table_id) == (GuestStatus.WAITING, None)


async def test_one_guest_is_seated_at_one_table_only(
    database: Database, restaurant_id: uuid.UUID
) -> None:
    first_id, second_id = await _tables(database, restaurant_id, "One", "Two")
    guest = a_guest(restaurant_id, "Everywhere", status=GuestStatus.SEATED, table_id=first_id)
    async with database.write() as conn:
        await guests.insert(conn, guest=guest)
        first = await floor.get(conn, restaurant_id=restaurant_id, table_id=first_id)
        assert first is not None
        first.status, first.current_guest_id = TableStatus.OCCUPIED, guest.id
        await floor.update(conn, table=first)
    async with database.read() as conn:
        second = await floor.get(conn, restaurant_id=restaurant_id, table_id=second_id)
    assert second is not None
    second.status, second.current_guest_id = TableStatus.OCCUPIED, guest.id
    with pytest.raises(IntegrityError):
        async with database.write() as conn:
            await floor.update(conn, table=second)
    async with database.read() as conn:
        still = await floor.get(conn, restaurant_id=restaurant_id, table_id=second_id)
    assert still is not None
    assert (still.status, still.current_guest_id) == (TableStatus.AVAILABLE, None)


@pytest.mark.parametrize(
    ("status", "at_table"),
    [(GuestStatus.SEATED, False), (GuestStatus.COMPLETED, True), (GuestStatus.WAITING, True)],
)
async def test_only_a_seated_guest_has_a_table(
    database: Database, restaurant_id: uuid.UUID, status: GuestStatus, at_table: bool
) -> None:
    (table_id,) = await _tables(database, restaurant_id, "Check")
    guest = a_guest(restaurant_id, "Odd", status=status, table_id=table_id if at_table else None)
    with pytest.raises(IntegrityError):
        async with database.write() as conn:
            await guests.insert(conn, guest=guest)


async def test_seated_guests_at_different_tables_and_past_guests_are_fine(
    database: Database, restaurant_id: uuid.UUID
) -> None:
    first_id, second_id = await _tables(database, restaurant_id, "A", "B")
    async with database.write() as conn:
        for table_id in (first_id, second_id):
            await guests.insert(
                conn,
                guest=a_guest(restaurant_id, "Now", status=GuestStatus.SEATED, table_id=table_id),
            )
        # Those who sat here before are completed and have let go of the table.
        for _ in range(2):
            await guests.insert(
                conn, guest=a_guest(restaurant_id, "Before", status=GuestStatus.COMPLETED)
            )
    assert await _seated_count(database, restaurant_id, first_id) == 1
    assert await _seated_count(database, restaurant_id, second_id) == 1
