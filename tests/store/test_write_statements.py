"""What a guest's write sends to the database: its row update goes with its event.

On PostgreSQL each statement is a round trip, and a write waits for each in turn; these pin
what a guest PATCH costs there, and that the row update sent with the event writes what it
should on both databases.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from hoststand.bus.memory import MemoryBroker
from hoststand.config import Settings
from hoststand.domain.access import Principal, Role
from hoststand.domain.clock import utcnow
from hoststand.domain.entities import Guest
from hoststand.domain.status import GuestStatus
from hoststand.services import guests as guest_service
from hoststand.services.commands import GuestUpdate
from hoststand.services.context import ServiceContext
from hoststand.services.transaction import IdempotencyKey, Replayed
from hoststand.store import event_log, floor, guests
from hoststand.store.database import Database
from tests.store.conftest import a_guest, a_restaurant, a_table, an_event

OWNER = Principal(token_id=None, name="test", role=Role.OWNER, restaurant_id=None, is_admin=True)


@pytest.fixture
def statements(postgres_database: Database) -> Iterator[list[str]]:
    """The SQL of every statement PostgreSQL's engine sends, as it sends them."""
    sent: list[str] = []
    engine = postgres_database.engine.sync_engine

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield sent
    event.remove(engine, "before_cursor_execute", record)


async def test_a_row_update_sent_with_its_event_writes_both(
    database: Database, restaurant_id: uuid.UUID
) -> None:
    # The guest's table_id and the event's are set apart: each must land in its own row.
    table, other = a_table(restaurant_id, "1"), a_table(restaurant_id, "2")
    guest = a_guest(restaurant_id, "Ada")
    async with database.write() as conn:
        for t in (table, other):
            await floor.insert(conn, table=t)
        await guests.insert(conn, guest=guest)
    was = copy.copy(guest)
    guest.status, guest.table_id, guest.seated_at = GuestStatus.SEATED, table.id, utcnow()
    guest.notes, guest.version = "by the window", 2
    logged = an_event(restaurant_id, 1)
    logged.table_id = other.id

    async with database.write() as conn:
        update = guests.update_with_events(guest, was=was)
        assert update is not None
        await event_log.append(conn, batch=[logged], writes=[update])

    async with database.read() as conn:
        assert await guests.get(conn, restaurant_id=restaurant_id, guest_id=guest.id) == guest
        [stored] = await event_log.read(conn, restaurant_id=restaurant_id, after=0, limit=10)
    assert (stored.id, stored.table_id, stored.guest_id) == (logged.id, other.id, logged.guest_id)


async def test_a_row_update_sent_with_two_events_writes_all_three(
    database: Database, restaurant_id: uuid.UUID
) -> None:
    guest = a_guest(restaurant_id, "Grace")
    async with database.write() as conn:
        await guests.insert(conn, guest=guest)
    was = copy.copy(guest)
    guest.party_size, guest.version = 6, 2

    async with database.write() as conn:
        update = guests.update_with_events(guest, was=was)
        assert update is not None
        batch = [an_event(restaurant_id, 1), an_event(restaurant_id, 2)]
        await event_log.append(conn, batch=batch, writes=[update])

    async with database.read() as conn:
        assert await guests.get(conn, restaurant_id=restaurant_id, guest_id=guest.id) == guest
        logged = await event_log.read(conn, restaurant_id=restaurant_id, after=0, limit=10)
    assert [e.id for e in logged] == [e.id for e in batch]


@pytest.fixture
async def stored_guest(postgres_database: Database) -> Guest:
    """A guest of a new restaurant, stored on PostgreSQL."""
    restaurant_id = await a_restaurant(postgres_database)
    guest = a_guest(restaurant_id, "Lovelace")
    async with postgres_database.write() as conn:
        await guests.insert(conn, guest=guest)
    return guest


async def patch_notes(db: Database, guest: Guest, key: IdempotencyKey | None = None) -> None:
    """A PATCH of the guest's notes through the service, with If-Match as the web page sends."""
    await guest_service.update(
        ServiceContext(db=db, broker=MemoryBroker(), settings=Settings()),
        principal=OWNER,
        restaurant_id=guest.restaurant_id,
        guest_id=guest.id,
        command=GuestUpdate(notes="late"),
        expected_version=guest.version,
        idempotency_key=key,
    )


async def test_a_guest_patch_is_two_statements_on_postgresql(
    postgres_database: Database, stored_guest: Guest, statements: list[str]
) -> None:
    """The restaurant's lock with the guest, then the guest's update with its event."""
    statements.clear()

    await patch_notes(postgres_database, stored_guest)

    assert len(statements) == 2, statements
    assert "FOR UPDATE OF restaurants, guests" in statements[0]
    assert statements[1].startswith("WITH updated AS")
    assert "INSERT INTO events" in statements[1]


async def test_a_keyed_guest_patch_is_two_statements_on_postgresql_and_its_replay_one(
    postgres_database: Database, stored_guest: Guest, statements: list[str]
) -> None:
    """The key's stored response is read with the lock, and kept with the update and event."""
    path = f"/api/v1/restaurants/{stored_guest.restaurant_id}/guests/{stored_guest.id}"
    key = IdempotencyKey.for_request("k-1", method="PATCH", path=path, body=b'{"notes":"late"}')
    statements.clear()

    await patch_notes(postgres_database, stored_guest, key)
    sent = list(statements)

    assert len(sent) == 2, sent
    assert "FOR UPDATE OF restaurants, guests" in sent[0]
    assert "JOIN idempotency_keys" in sent[0]
    assert sent[1].startswith("WITH updated AS")
    assert "stored AS" in sent[1]
    assert "INSERT INTO idempotency_keys" in sent[1]
    assert "INSERT INTO events" in sent[1]
    statements.clear()
    with pytest.raises(Replayed):  # the If-Match is stale now: a retry replays all the same
        await patch_notes(postgres_database, stored_guest, key)
    assert len(statements) == 1, statements
