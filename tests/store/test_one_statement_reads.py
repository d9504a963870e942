"""A read of one statement on PostgreSQL: one round trip, and never a second statement."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from hoststand.domain.entities import Guest, Restaurant, Table
from hoststand.store import floor, guests, restaurants
from hoststand.store.database import Database
from hoststand.store.guests import GuestFilter
from tests.conftest import Backend
from tests.store.conftest import a_restaurant
from tests.store.pg_wire import RoundTripProxy, round_trip_proxy


@pytest.fixture
async def proxy(postgres_backend: Backend) -> AsyncIterator[RoundTripProxy]:
    """A proxy that counts round trips, in front of the test PostgreSQL."""
    url = sa.make_url(postgres_backend.url)
    async with round_trip_proxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        yield proxy


@pytest.fixture
async def proxied_database(
    postgres_backend: Backend, proxy: RoundTripProxy
) -> AsyncIterator[Database]:
    """The PostgreSQL test schema through the proxy, on one pooled connection."""
    url = sa.make_url(postgres_backend.url).set(host="127.0.0.1", port=proxy.listening_port)
    db = Database(
        url.render_as_string(hide_password=False), schema=postgres_backend.schema, pool_size=1
    )
    yield db
    await db.close()


async def test_a_one_statement_read_is_one_round_trip_where_a_read_transaction_is_three(
    proxied_database: Database, proxy: RoundTripProxy
) -> None:
    db = proxied_database
    restaurant_id = await a_restaurant(db)

    async def get(conn: AsyncConnection) -> Restaurant | None:
        return await restaurants.get(conn, restaurant_id=restaurant_id)

    # The connection's first use of the statement prepares it: one trip more, once.
    await db.read_one_statement(get)

    before = proxy.round_trips
    found = await db.read_one_statement(get)
    alone = proxy.round_trips - before
    before = proxy.round_trips
    async with db.read() as conn:
        in_transaction = await get(conn)
    transaction = proxy.round_trips - before

    assert found is not None
    assert in_transaction == found
    assert found.id == restaurant_id
    assert (alone, transaction) == (1, 3)


async def test_a_one_statement_read_on_postgresql_refuses_a_second_statement(
    postgres_database: Database,
) -> None:
    # Outside a transaction, the second would see another snapshot than the first.
    database = postgres_database
    restaurant_id = await a_restaurant(database)

    async def two(conn: AsyncConnection) -> None:
        await restaurants.get(conn, restaurant_id=restaurant_id)
        await restaurants.get(conn, restaurant_id=restaurant_id)

    with pytest.raises(RuntimeError, match="second statement"):
        await database.read_one_statement(two)
    found = await database.read_one_statement(
        lambda conn: restaurants.get(conn, restaurant_id=restaurant_id)
    )
    assert found is not None
    assert found.id == restaurant_id


async def test_a_list_of_tables_or_guests_is_one_round_trip(
    proxied_database: Database, proxy: RoundTripProxy
) -> None:
    # It was a read transaction of two statements, the restaurant and the page: four.
    db = proxied_database
    restaurant_id = await a_restaurant(db)

    async def lists() -> tuple[list[Table] | None, list[Guest] | None]:
        tables = await db.read_one_statement(
            lambda conn: floor.page_if_found(conn, restaurant_id=restaurant_id, limit=10)
        )
        guests_of = await db.read_one_statement(
            lambda conn: guests.page_if_found(
                conn, restaurant_id=restaurant_id, where=GuestFilter(), limit=10
            )
        )
        return tables, guests_of

    await lists()  # the connection's first use of the statements prepares them
    before = proxy.round_trips
    assert await lists() == ([], [])
    assert proxy.round_trips - before == 2
