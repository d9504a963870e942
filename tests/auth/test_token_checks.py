"""The token cache: tokens in use are re-checked by the hub's log poll, within the same bound.

An Authenticator on the test database, with a clock the test moves, and the Hub whose polls
check its tokens (not started: the test polls): "another instance" revokes or deletes tokens
straight in the database, where forget() never hears of it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from hoststand.bus.memory import MemoryBroker
from hoststand.domain.access import ADMIN, Role
from hoststand.domain.clock import utcnow
from hoststand.metrics import Metrics
from hoststand.realtime.hub import Hub
from hoststand.services import restaurants, tokens
from hoststand.services.authentication import RECHECK_IDLE_SECONDS, Authenticator, Unauthorized
from hoststand.services.commands import RestaurantCreate, TokenCreate
from hoststand.services.context import ServiceContext
from hoststand.store import restaurants as restaurant_rows
from hoststand.store import tokens as token_rows
from hoststand.store.database import Database
from tests.conftest import Backend

TTL = 1.0


class Clock:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Setup:
    """The authenticator under test, its clock, and a restaurant with one host token."""

    auth: Authenticator
    hub: Hub
    clock: Clock
    db: Database
    restaurant_id: uuid.UUID
    token_id: uuid.UUID
    secret: str


@pytest.fixture
async def setup(backend: Backend) -> AsyncIterator[Setup]:
    """A fresh restaurant and token on the test database, and an Authenticator with TTL 1 s."""
    db = Database(backend.url, schema=backend.schema, pool_size=2)
    ctx = ServiceContext(
        db=db,
        broker=MemoryBroker(),
        settings=backend.settings(token_cache_seconds=TTL),
        metrics=Metrics(),
    )
    restaurant = await restaurants.create(
        ctx, principal=ADMIN, command=RestaurantCreate(name="Recheck Diner")
    )
    issued = await tokens.create(
        ctx,
        principal=ADMIN,
        restaurant_id=restaurant.id,
        command=TokenCreate(name="host iPad", role=Role.HOST),
    )
    clock = Clock()
    auth = Authenticator(ctx, clock=clock)
    hub = Hub(ctx, token_cache=auth)
    yield Setup(auth, hub, clock, db, restaurant.id, issued.token.id, issued.secret)
    await auth.close()  # its touches of last_used_at
    await db.close()


async def _revoke_elsewhere(s: Setup) -> None:
    async with s.db.write() as conn:
        await token_rows.revoke(conn, token_id=s.token_id, at=utcnow())


async def test_a_poll_renews_the_trust_and_sees_a_revocation_within_the_ttl(
    setup: Setup,
) -> None:
    s = setup
    principal = await s.auth.authenticate(s.secret, client="ipad")
    s.clock.now += TTL * 0.6
    await s.hub.poll_once()
    await _revoke_elsewhere(s)
    s.clock.now += TTL * 0.6  # past the first check's TTL, within the poll's
    assert await s.auth.authenticate(s.secret, client="ipad") == principal
    await s.hub.poll_once()
    with pytest.raises(Unauthorized):
        await s.auth.authenticate(s.secret, client="ipad")


async def test_without_polls_the_trust_ends_after_the_ttl(setup: Setup) -> None:
    s = setup
    await s.auth.authenticate(s.secret, client="ipad")
    await _revoke_elsewhere(s)
    s.clock.now += TTL + 0.01
    with pytest.raises(Unauthorized):
        await s.auth.authenticate(s.secret, client="ipad")


async def test_a_poll_of_changes_sees_a_revocation_and_renews_the_others(setup: Setup) -> None:
    s = setup
    await s.hub.poll_once()  # the first poll is a full sweep; the next ones read changes
    principal = await s.auth.authenticate(s.secret, client="ipad")
    s.clock.now += TTL * 0.6
    await s.hub.poll_once()
    s.clock.now += TTL * 0.6
    assert await s.auth.authenticate(s.secret, client="ipad") == principal
    await _revoke_elsewhere(s)
    await s.hub.poll_once()
    with pytest.raises(Unauthorized):
        await s.auth.authenticate(s.secret, client="ipad")


async def test_a_revocation_committed_after_a_poll_that_missed_it_is_seen_by_the_next(
    setup: Setup,
) -> None:
    s = setup
    await s.hub.poll_once()
    await s.auth.authenticate(s.secret, client="ipad")
    # Stamped now, committed only after a poll has read past the stamp: commit order is not
    # stamp order, and the next poll reads again from before its previous watermark.
    async with s.db.write() as conn:
        await token_rows.revoke(conn, token_id=s.token_id, at=utcnow())
        await s.hub.poll_once()
    await s.hub.poll_once()
    with pytest.raises(Unauthorized):
        await s.auth.authenticate(s.secret, client="ipad")


async def test_a_full_sweep_drops_a_token_whose_restaurant_was_deleted(setup: Setup) -> None:
    s = setup
    await s.auth.authenticate(s.secret, client="ipad")
    async with s.db.write() as conn:
        await restaurant_rows.delete(conn, restaurant_id=s.restaurant_id)
    s.clock.now += TTL * 0.5
    await s.hub.poll_once(full=True)
    with pytest.raises(Unauthorized):
        await s.auth.authenticate(s.secret, client="ipad")


async def test_an_idle_token_is_no_longer_renewed(setup: Setup) -> None:
    s = setup
    await s.auth.authenticate(s.secret, client="ipad")
    s.clock.now += RECHECK_IDLE_SECONDS
    await s.hub.poll_once()  # unused for a minute: not renewed, so its trust has run out
    await _revoke_elsewhere(s)
    with pytest.raises(Unauthorized):
        await s.auth.authenticate(s.secret, client="ipad")


async def test_a_poll_does_not_bring_back_a_token_forgotten_meanwhile(setup: Setup) -> None:
    s = setup
    await s.auth.authenticate(s.secret, client="ipad")
    await _revoke_elsewhere(s)  # as this instance's revoke route does, then forget()
    s.auth.forget(s.token_id)
    await s.hub.poll_once()
    with pytest.raises(Unauthorized):
        await s.auth.authenticate(s.secret, client="ipad")


async def test_a_revocation_by_another_process_is_seen_by_the_next_poll(
    setup: Setup, backend: Backend
) -> None:
    s = setup
    await s.auth.authenticate(s.secret, client="ipad")
    await s.hub.poll_once()  # the first: a full sweep, and the change mark the next start from
    await s.hub.poll_once()
    # An admin command's own connection: on SQLite, only the file's data_version tells.
    other = Database(backend.url, schema=backend.schema, pool_size=1)
    try:
        async with other.write() as conn:
            await token_rows.revoke(conn, token_id=s.token_id, at=utcnow())
    finally:
        await other.close()
    await s.hub.poll_once()
    with pytest.raises(Unauthorized):  # within the TTL: refused because the poll saw it
        await s.auth.authenticate(s.secret, client="ipad")


async def test_a_poll_after_nothing_was_committed_reads_nothing_and_renews_the_trust(
    setup: Setup, backend: Backend
) -> None:
    s = setup
    principal = await s.auth.authenticate(s.secret, client="ipad")
    await s.auth.close()  # its touch of last_used_at written
    await s.hub.poll_once()
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    sa.event.listen(s.db.engine.sync_engine, "before_cursor_execute", seen)
    try:
        s.clock.now += TTL * 0.6
        await s.hub.poll_once()
        s.clock.now += TTL * 0.6  # past the first check's TTL, within the poll's
        assert await s.auth.authenticate(s.secret, client="ipad") == principal
    finally:
        sa.event.remove(s.db.engine.sync_engine, "before_cursor_execute", seen)
    if backend.name == "sqlite":
        assert statements == []  # no poll read, and the token came from the cache
    else:
        assert statements  # PostgreSQL has no cheap mark: its polls always read
