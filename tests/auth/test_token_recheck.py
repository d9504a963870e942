"""The token cache: tokens in use are re-checked in the background, within the same bound.

An Authenticator on the test database, with a clock the test moves: "another instance"
revokes or deletes tokens straight in the database, where forget() never hears of it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from hoststand.bus.memory import MemoryBroker
from hoststand.domain.access import ADMIN, Role
from hoststand.domain.clock import utcnow
from hoststand.metrics import Metrics
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
    yield Setup(auth, clock, db, restaurant.id, issued.token.id, issued.secret)
    await auth.close()  # its touches of last_used_at
    await db.close()


async def _revoke_elsewhere(s: Setup) -> None:
    async with s.db.write() as conn:
        await token_rows.revoke(conn, token_id=s.token_id, at=utcnow())


async def test_a_recheck_renews_the_trust_and_sees_a_revocation_within_the_ttl(
    setup: Setup,
) -> None:
    s = setup
    principal = await s.auth.authenticate(s.secret, client="ipad")
    s.clock.now += TTL * 0.6
    await s.auth.recheck()
    await _revoke_elsewhere(s)
    s.clock.now += TTL * 0.6  # past the first check's TTL, within the recheck's
    assert await s.auth.authenticate(s.secret, client="ipad") == principal
    await s.auth.recheck()
    with pytest.raises(Unauthorized):
        await s.auth.authenticate(s.secret, client="ipad")


async def test_without_rechecks_the_trust_ends_after_the_ttl(setup: Setup) -> None:
    s = setup
    await s.auth.authenticate(s.secret, client="ipad")
    await _revoke_elsewhere(s)
    s.clock.now += TTL + 0.01
    with pytest.raises(Unauthorized):
        await s.auth.authenticate(s.secret, client="ipad")


async def test_a_recheck_drops_a_token_whose_restaurant_was_deleted(setup: Setup) -> None:
    s = setup
    await s.auth.authenticate(s.secret, client="ipad")
    async with s.db.write() as conn:
        await restaurant_rows.delete(conn, restaurant_id=s.restaurant_id)
    s.clock.now += TTL * 0.5
    await s.auth.recheck()
    with pytest.raises(Unauthorized):
        await s.auth.authenticate(s.secret, client="ipad")


async def test_an_idle_token_is_no_longer_renewed(setup: Setup) -> None:
    s = setup
    await s.auth.authenticate(s.secret, client="ipad")
    s.clock.now += RECHECK_IDLE_SECONDS
    await s.auth.recheck()  # unused for a minute: not renewed, so its trust has run out
    await _revoke_elsewhere(s)
    with pytest.raises(Unauthorized):
        await s.auth.authenticate(s.secret, client="ipad")


async def test_a_recheck_does_not_bring_back_a_token_forgotten_meanwhile(setup: Setup) -> None:
    s = setup
    await s.auth.authenticate(s.secret, client="ipad")
    await _revoke_elsewhere(s)  # as this instance's revoke route does, then forget()
    s.auth.forget(s.token_id)
    await s.auth.recheck()
    with pytest.raises(Unauthorized):
        await s.auth.authenticate(s.secret, client="ipad")
