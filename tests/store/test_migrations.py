"""Migrations: a database made by an earlier release upgrades and keeps its event log going."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command

from hoststand.domain.clock import utcnow
from hoststand.domain.entities import Guest, Restaurant
from hoststand.domain.status import GuestKind, GuestStatus, TableStatus
from hoststand.store import event_log, floor, guests, migrate, restaurants
from hoststand.store.database import Database
from hoststand.store.schema import restaurants as restaurants_table
from tests.conftest import POSTGRES_URL, Backend, _create_schema, service_missing
from tests.store.conftest import a_guest, a_table, an_event


@pytest.fixture(params=["sqlite", "postgres"])
def unmigrated(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """A database without any schema yet: a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield Backend("sqlite", f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
        return
    if not POSTGRES_URL:
        service_missing("PostgreSQL tests need HOSTSTAND_TEST_POSTGRES_URL")
    assert POSTGRES_URL is not None
    schema = f"hs_migrate_{uuid.uuid4().hex[:8]}"
    asyncio.run(_create_schema(POSTGRES_URL, schema))
    try:
        yield Backend("postgres", POSTGRES_URL, schema)
    finally:
        asyncio.run(_create_schema(POSTGRES_URL, schema, drop=True))


def _to(backend: Backend, revision: str) -> None:
    config = migrate.alembic_config(backend.url, schema=backend.schema)
    command.upgrade(config, revision)


async def _restaurant_with_events(backend: Backend, seqs: range) -> uuid.UUID:
    """A restaurant whose log holds `seqs`, written as the first release wrote them.

    It advanced last_seq with a statement of its own, which the trigger now makes redundant.
    """
    now = utcnow()
    restaurant = Restaurant(
        id=uuid.uuid4(), name="Old", timezone="UTC", created_at=now, updated_at=now
    )
    db = Database(backend.url, schema=backend.schema, pool_size=1)
    try:
        async with db.write() as conn:
            await restaurants.insert(conn, restaurant=restaurant)
            await event_log.append(conn, batch=[an_event(restaurant.id, seq) for seq in seqs])
            advance = restaurants_table.update().where(restaurants_table.c.id == restaurant.id)
            await conn.execute(advance.values(last_seq=seqs[-1]))
    finally:
        await db.close()
    return restaurant.id


async def _append_and_read_last_seq(backend: Backend, restaurant_id: uuid.UUID, seq: int) -> int:
    db = Database(backend.url, schema=backend.schema, pool_size=1)
    try:
        async with db.write() as conn:
            await event_log.append(conn, batch=[an_event(restaurant_id, seq)])
        async with db.read() as conn:
            found = await restaurants.get(conn, restaurant_id=restaurant_id)
    finally:
        await db.close()
    assert found is not None
    return found.last_seq


def test_a_database_of_the_first_release_upgrades_and_its_seqs_go_on(
    unmigrated: Backend,
) -> None:
    _to(unmigrated, "0001")
    restaurant_id = asyncio.run(_restaurant_with_events(unmigrated, range(1, 4)))
    _to(unmigrated, "head")
    assert asyncio.run(_append_and_read_last_seq(unmigrated, restaurant_id, 4)) == 4
    assert asyncio.run(_append_and_read_last_seq(unmigrated, restaurant_id, 5)) == 5


def test_appending_events_advances_the_restaurants_last_seq_to_the_last_one(
    unmigrated: Backend,
) -> None:
    _to(unmigrated, "head")
    restaurant_id = asyncio.run(_restaurant_with_events(unmigrated, range(1, 4)))
    assert asyncio.run(_append_and_read_last_seq(unmigrated, restaurant_id, 4)) == 4


def test_the_trigger_migration_downgrades_and_upgrades_again(unmigrated: Backend) -> None:
    _to(unmigrated, "head")
    command.downgrade(migrate.alembic_config(unmigrated.url, schema=unmigrated.schema), "0001")
    _to(unmigrated, "head")
    restaurant_id = asyncio.run(_restaurant_with_events(unmigrated, range(1, 3)))
    assert asyncio.run(_append_and_read_last_seq(unmigrated, restaurant_id, 3)) == 3


async def _seated_holds(backend: Backend) -> tuple[Guest, Guest, Guest]:
    """Stored as a release before the hold-release fix left them: a party seated at one table
    still holding another, beside a party holding the table it sits at and a booked one."""
    restaurant_id = await _restaurant_with_events(backend, range(1, 2))
    now = utcnow()
    here, there, own = (a_table(restaurant_id, label) for label in ("Here", "There", "Own"))
    reservation = {"kind": GuestKind.RESERVATION, "duration_minutes": 90, "version": 3}
    seated = {**reservation, "status": GuestStatus.SEATED, "seated_at": now}
    legacy = a_guest(restaurant_id, "Legacy", **seated, reserved_for=now, table_id=here.id)
    legacy.held_table_id = there.id
    kept = a_guest(restaurant_id, "Kept", **seated, reserved_for=now, table_id=own.id)
    kept.held_table_id = own.id
    later = now + timedelta(hours=3)
    booked = a_guest(restaurant_id, "Booked", **reservation, status=GuestStatus.BOOKED)
    booked.reserved_for, booked.held_table_id = later, there.id
    for table, guest in ((here, legacy), (own, kept)):
        table.status, table.current_guest_id = TableStatus.OCCUPIED, guest.id
    db = Database(backend.url, schema=backend.schema, pool_size=1)
    try:
        async with db.write() as conn:
            for table in (here, there, own):
                await floor.insert(conn, table=table)
            for guest in (legacy, kept, booked):
                await guests.insert(conn, guest=guest)
    finally:
        await db.close()
    return legacy, kept, booked


async def _stored(backend: Backend, guest: Guest) -> Guest:
    db = Database(backend.url, schema=backend.schema, pool_size=1)
    try:
        async with db.read() as conn:
            found = await guests.get(conn, restaurant_id=guest.restaurant_id, guest_id=guest.id)
    finally:
        await db.close()
    assert found is not None
    return found


def test_the_upgrade_releases_holds_of_parties_seated_at_another_table(
    unmigrated: Backend,
) -> None:
    _to(unmigrated, "0004")
    legacy, kept, booked = asyncio.run(_seated_holds(unmigrated))
    _to(unmigrated, "head")

    released = asyncio.run(_stored(unmigrated, legacy))
    assert (released.status, released.table_id, released.held_table_id) == (
        GuestStatus.SEATED,
        legacy.table_id,
        None,
    )
    assert released.version == legacy.version + 1
    assert released.updated_at > legacy.updated_at
    assert released.reserved_for == legacy.reserved_for
    for untouched in (kept, booked):
        assert asyncio.run(_stored(unmigrated, untouched)) == untouched
