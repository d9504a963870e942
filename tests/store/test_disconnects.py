"""A pooled connection that PostgreSQL closed (a restart, an idle session killed) fails nothing.

PostgreSQL closes them here for real: `pg_terminate_backend`, from a connection of the test's
own, for the backends serving the connections under test, waiting until they are gone.
"""

from __future__ import annotations

import logging

import psutil
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from hoststand.store import event_log, failures, restaurants
from hoststand.store.database import Database
from tests.conftest import Api, Backend
from tests.servers import ThreadServer
from tests.store.conftest import a_restaurant, an_event

POSTGRES_PORT = 5432


def _ports_to_postgres() -> set[int]:
    """The local ports of this process's open connections to PostgreSQL."""
    return {
        c.laddr.port
        for c in psutil.Process().net_connections(kind="tcp")
        if c.raddr and c.raddr.port == POSTGRES_PORT and c.status == psutil.CONN_ESTABLISHED
    }


async def _terminate(url: str, *, client_ports: set[int]) -> int:
    """Have PostgreSQL close the connections from these ports; return once their backends exit.

    Returns how many there were. A connection of another test's server that closed meanwhile
    is gone too, which is all that is asked of it.
    """
    # Autocommit: each statement sees pg_stat_activity anew (a transaction keeps its first view).
    engine = create_async_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            find = "SELECT pid FROM pg_stat_activity WHERE client_port = ANY(:ports)"
            found = await conn.execute(sa.text(find), {"ports": sorted(client_ports)})
            pids = list(found.scalars())
            # With a timeout, pg_terminate_backend waits for the backend to exit (PostgreSQL 14+).
            terminate = "SELECT pg_terminate_backend(pid, 10000) FROM unnest(CAST(:p AS int[])) pid"
            await conn.execute(sa.text(terminate), {"p": pids})
            alive = "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)"
            assert (await conn.execute(sa.text(alive), {"pids": pids})).scalar() == 0
    finally:
        await engine.dispose()
    return len(pids)


async def test_a_write_and_a_read_after_postgresql_closed_the_pooled_connection_succeed(
    postgres_backend: Backend, postgres_database: Database
) -> None:
    before = _ports_to_postgres()
    restaurant_id = await a_restaurant(postgres_database)
    async with postgres_database.read() as conn:
        await restaurants.get(conn, restaurant_id=restaurant_id)
    pooled = _ports_to_postgres() - before
    assert pooled, "the database kept no connection in its pool"

    assert await _terminate(postgres_backend.url, client_ports=pooled)

    async with postgres_database.write() as conn:
        restaurant = await restaurants.get(conn, restaurant_id=restaurant_id, lock=True)
        assert restaurant is not None
        await event_log.append(conn, batch=[an_event(restaurant_id, restaurant.last_seq + 1)])
    async with postgres_database.read() as conn:
        restaurant = await restaurants.get(conn, restaurant_id=restaurant_id)
        logged = await event_log.read(conn, restaurant_id=restaurant_id, after=0, limit=10)
    assert restaurant is not None
    assert restaurant.last_seq == 1, "the write was done once"
    assert [e.seq for e in logged] == [1]


async def test_a_one_statement_read_after_postgresql_closed_the_pooled_connection_succeeds(
    postgres_backend: Backend, postgres_database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    # Outside a transaction the statement itself finds the closed connection; a read is run
    # again on a new one.
    before = _ports_to_postgres()
    restaurant_id = await a_restaurant(postgres_database)
    pooled = _ports_to_postgres() - before
    assert pooled, "the database kept no connection in its pool"

    assert await _terminate(postgres_backend.url, client_ports=pooled)

    with caplog.at_level(logging.INFO, logger="hoststand.store.database"):
        restaurant = await postgres_database.read_one_statement(
            lambda conn: restaurants.get(conn, restaurant_id=restaurant_id)
        )
    assert restaurant is not None
    assert restaurant.id == restaurant_id
    assert "closed by the server; using a new one" in caplog.text


async def test_requests_after_postgresql_closed_the_servers_connections_succeed(
    postgres_backend: Backend,
) -> None:
    before = _ports_to_postgres()
    server = ThreadServer(postgres_backend.settings()).start()
    api = Api(server.base_url)
    try:
        restaurant = await api.restaurant()
        guest = await restaurant.guest("Ada")
        host = restaurant.client("host")
        path = f"{restaurant.path}/guests/{guest['id']}"
        await host.ok("PATCH", path, json={"notes": "before"})
        servers = _ports_to_postgres() - before
        assert servers, "the server kept no connection to PostgreSQL"

        assert await _terminate(postgres_backend.url, client_ports=servers)

        patched = await host.ok("PATCH", path, json={"notes": "after"})
        assert patched["notes"] == "after"
        assert (await host.ok("GET", path))["version"] == patched["version"]
        snapshot = await host.ok("GET", f"{restaurant.path}/snapshot")
        assert [g["notes"] for g in snapshot["guests"]] == ["after"]
        await host.close()
    finally:
        await api.close()
        server.stop()


async def test_a_connection_lost_inside_a_transaction_is_an_outage_not_a_bug(
    postgres_backend: Backend, postgres_database: Database
) -> None:
    # Past its BEGIN nothing is tried again: the request fails, as a 503 (api/errors.py).
    before = _ports_to_postgres()
    restaurant_id = await a_restaurant(postgres_database)

    async def lose_the_connection_inside() -> None:
        async with postgres_database.write() as conn:
            await restaurants.get(conn, restaurant_id=restaurant_id, lock=True)
            ours = _ports_to_postgres() - before
            assert await _terminate(postgres_backend.url, client_ports=ours)
            await restaurants.get(conn, restaurant_id=restaurant_id)

    with pytest.raises(DBAPIError) as lost:
        await lose_the_connection_inside()
    assert lost.value.connection_invalidated
    assert failures.unavailable(lost.value)
    async with postgres_database.read() as conn:  # and the next transaction is served
        assert await restaurants.get(conn, restaurant_id=restaurant_id) is not None
