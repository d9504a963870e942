"""Restaurants: create, read, change settings, delete."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import NoReturn, TypeVar

import orjson
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from hoststand.bus import Envelope
from hoststand.domain.access import Permission, Principal
from hoststand.domain.clock import utcnow
from hoststand.domain.cursor import Cursor
from hoststand.domain.entities import DEFAULT_TURN_TIMES, Restaurant, new_id
from hoststand.domain.errors import DomainError, ErrorCode, not_found
from hoststand.domain.events import DataScope
from hoststand.services.commands import RestaurantCreate, RestaurantUpdate
from hoststand.services.context import ServiceContext
from hoststand.services.transaction import IdempotencyKey, Replayed, announce, change
from hoststand.store import idempotency, restaurants
from hoststand.store.idempotency import StoredResponse

T = TypeVar("T")

# Restaurant ids derived from an Idempotency-Key, so that a retried create finds its restaurant.
IDEMPOTENT_CREATE_NAMESPACE = uuid.UUID("6f1c1f0e-6d0b-4a5e-9c43-1c2b4d7f0a11")


async def load(conn: AsyncConnection, restaurant_id: uuid.UUID) -> Restaurant:
    """The restaurant, or not_found."""
    restaurant = await restaurants.get(conn, restaurant_id=restaurant_id)
    if restaurant is None:
        raise not_found("restaurant", restaurant_id)
    return restaurant


async def page_of(
    ctx: ServiceContext,
    restaurant_id: uuid.UUID,
    read: Callable[[AsyncConnection], Awaitable[list[T] | None]],
) -> list[T]:
    """A page of the restaurant's, `read` with the restaurant in one statement; or not_found.

    `read` answers None when there is no such restaurant (store/pagination.page_of_restaurant).
    """
    found = await ctx.db.read_one_statement(read)
    if found is None:
        raise not_found("restaurant", restaurant_id)
    return found


def _require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise DomainError(
            ErrorCode.FORBIDDEN, "only the operator's admin token creates restaurants"
        )


async def create(
    ctx: ServiceContext,
    *,
    principal: Principal,
    command: RestaurantCreate,
    idempotency_key: IdempotencyKey | None = None,
) -> Restaurant:
    """Create a restaurant (admin only); with a key, a retry returns the first result."""
    _require_admin(principal)
    restaurant_id = command.id or new_id()
    if idempotency_key is not None and command.id is None:
        restaurant_id = uuid.uuid5(IDEMPOTENT_CREATE_NAMESPACE, idempotency_key.key)
    try:
        return await _insert_once(ctx, restaurant_id, command, idempotency_key)
    except IntegrityError:
        # A concurrent duplicate (same key or id) committed first; PostgreSQL let both pass
        # the existence check. Now that it has committed, this replays or refuses properly.
        return await _insert_once(ctx, restaurant_id, command, idempotency_key)


async def _insert_once(
    ctx: ServiceContext,
    restaurant_id: uuid.UUID,
    command: RestaurantCreate,
    idempotency_key: IdempotencyKey | None,
) -> Restaurant:
    now = utcnow()
    turn_times = [(t.max_party_size, t.minutes) for t in command.turn_times or []]
    restaurant = Restaurant(
        id=restaurant_id,
        name=command.name,
        timezone=command.timezone,
        turn_times=turn_times or list(DEFAULT_TURN_TIMES),
        created_at=now,
        updated_at=now,
    )
    async with ctx.db.write() as conn:
        if await restaurants.exists(conn, restaurant_id=restaurant_id):
            await _refuse_existing(conn, restaurant_id, idempotency_key, now)
        await restaurants.insert(conn, restaurant=restaurant)
        # Ids are the client's to choose: one deleted before is a restaurant again, and a log
        # poll reading its deletion's tombstone would close the new one's devices.
        await restaurants.forget_deletion(conn, restaurant_id=restaurant_id)
        if idempotency_key is not None:
            body = orjson.dumps(restaurant.view()).decode()
            await idempotency.store(
                conn,
                restaurant_id=restaurant_id,
                key=idempotency_key.key,
                response=StoredResponse(idempotency_key.request_hash, 201, body),
                now=now,
                expires_at=now + ctx.settings.idempotency_ttl,
            )
    return restaurant


async def _refuse_existing(
    conn: AsyncConnection,
    restaurant_id: uuid.UUID,
    idempotency_key: IdempotencyKey | None,
    now: datetime,
) -> NoReturn:
    if idempotency_key is not None:
        stored = await idempotency.find(
            conn, restaurant_id=restaurant_id, key=idempotency_key.key, now=now
        )
        if stored is not None and stored.request_hash == idempotency_key.request_hash:
            raise Replayed(stored)
        if stored is not None:
            raise DomainError(
                ErrorCode.IDEMPOTENCY_KEY_REUSED,
                "this Idempotency-Key was already used for a different request",
            )
    raise DomainError(ErrorCode.ALREADY_EXISTS, f"restaurant {restaurant_id} already exists")


async def get(ctx: ServiceContext, *, principal: Principal, restaurant_id: uuid.UUID) -> Restaurant:
    """One restaurant the principal may see."""
    principal.require(restaurant_id, Permission.READ)
    return await ctx.db.read_one_statement(lambda conn: load(conn, restaurant_id))


async def page(
    ctx: ServiceContext, *, principal: Principal, limit: int, cursor: Cursor | None
) -> list[Restaurant]:
    """Restaurants the principal may see: all for the admin, its own for a token."""
    only = None if principal.is_admin else principal.restaurant_id
    return await ctx.db.read_one_statement(
        lambda conn: restaurants.page(conn, limit=limit, cursor=cursor, only=only)
    )


async def update(
    ctx: ServiceContext,
    *,
    principal: Principal,
    restaurant_id: uuid.UUID,
    command: RestaurantUpdate,
    idempotency_key: IdempotencyKey | None = None,
) -> Restaurant:
    """Change a restaurant's name, time zone or turn times."""
    async with change(
        ctx,
        principal=principal,
        restaurant_id=restaurant_id,
        permission=Permission.MANAGE_RESTAURANT,
        idempotency_key=idempotency_key,
    ) as tx:
        restaurant = tx.restaurant
        given = command.given()
        if "name" in given and command.name is not None:
            restaurant.name = command.name
        if "timezone" in given and command.timezone is not None:
            restaurant.timezone = command.timezone
        if "turn_times" in given:
            restaurant.turn_times = [
                (t.max_party_size, t.minutes) for t in command.turn_times or []
            ] or list(DEFAULT_TURN_TIMES)
        restaurant.version += 1
        restaurant.updated_at = tx.now
        await restaurants.update(tx.conn, restaurant=restaurant)
        tx.data_event(DataScope.RESTAURANT, "updated", restaurant.view())
        tx.respond(200, restaurant.view())
    return restaurant


async def delete(ctx: ServiceContext, *, principal: Principal, restaurant_id: uuid.UUID) -> None:
    """Delete a restaurant and everything it has; its devices are disconnected."""
    principal.require(restaurant_id, Permission.MANAGE_RESTAURANT)
    # bulk: the cascade deletes everything the restaurant has, its whole event log included.
    async with ctx.db.write(bulk=True) as conn:
        restaurant = await restaurants.get(conn, restaurant_id=restaurant_id, lock=True)
        if restaurant is None:
            raise not_found("restaurant", restaurant_id)
        await restaurants.delete(conn, restaurant_id=restaurant_id)
    # Nothing is logged for a restaurant that no longer exists; hubs close its sockets (the
    # log poll does, from the tombstone store.restaurants.delete leaves, where this publish
    # fails or does not reach: the deletion is committed all the same).
    await announce(ctx, Envelope(restaurant_id, None, "restaurant_deleted", "", 0.0))
