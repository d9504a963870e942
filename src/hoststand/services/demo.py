"""A demo restaurant to try hoststand with: a dozen tables in two sections, a few guests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from hoststand.domain.access import Principal, Role
from hoststand.domain.entities import Restaurant
from hoststand.domain.errors import DomainError, ErrorCode
from hoststand.services import floor, guests, restaurants, tokens
from hoststand.services.commands import GuestCreate, RestaurantCreate, TableCreate, TokenCreate
from hoststand.services.context import ServiceContext
from hoststand.services.tokens import IssuedToken

DEMO_RESTAURANT_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")
DEMO_TABLES = [
    *[(str(n), 4 if n % 3 else 6, "Main", 1 + (n - 1) % 4, 1 + (n - 1) // 4) for n in range(1, 9)],
    *[(f"Patio {n}", 2 if n % 2 else 4, "Patio", n, 4) for n in range(1, 5)],
]
DEMO_GUESTS = [
    ("Rivera", 2, 10, "window"),
    ("Okafor", 4, 20, None),
    ("Lindqvist", 6, 35, "birthday"),
]


@dataclass(frozen=True, slots=True)
class Demo:
    """The demo restaurant, whether this run created it, and a fresh host token for it."""

    restaurant: Restaurant
    created: bool
    host_token: IssuedToken


async def ensure_demo(ctx: ServiceContext, *, principal: Principal) -> Demo:
    """Create the demo restaurant unless it exists; always issue a new host token."""
    created = True
    try:
        restaurant = await restaurants.create(
            ctx,
            principal=principal,
            command=RestaurantCreate(id=DEMO_RESTAURANT_ID, name="Demo Bistro", timezone="UTC"),
        )
    except DomainError as exc:
        if exc.code != ErrorCode.ALREADY_EXISTS:
            raise
        created = False
        restaurant = await restaurants.get(
            ctx, principal=principal, restaurant_id=DEMO_RESTAURANT_ID
        )
    # A run interrupted half-way is completed by the next one; guests come only once.
    await _furnish_tables(ctx, principal, restaurant.id)
    if created:
        await _add_guests(ctx, principal, restaurant.id)
    token = await tokens.create(
        ctx,
        principal=principal,
        restaurant_id=restaurant.id,
        command=TokenCreate(name="demo host", role=Role.HOST),
    )
    return Demo(restaurant, created, token)


async def _furnish_tables(
    ctx: ServiceContext, principal: Principal, restaurant_id: uuid.UUID
) -> None:
    existing = await floor.page(
        ctx, principal=principal, restaurant_id=restaurant_id, limit=500, cursor=None, status=None
    )
    labels = {table.label for table in existing}
    for label, capacity, section, x, y in DEMO_TABLES:
        if label in labels:
            continue
        await floor.create(
            ctx,
            principal=principal,
            restaurant_id=restaurant_id,
            command=TableCreate(label=label, capacity=capacity, section=section, x=x, y=y),
        )


async def _add_guests(ctx: ServiceContext, principal: Principal, restaurant_id: uuid.UUID) -> None:
    for name, party, quote, tag in DEMO_GUESTS:
        await guests.create(
            ctx,
            principal=principal,
            restaurant_id=restaurant_id,
            command=GuestCreate(
                name=name, party_size=party, quoted_wait_minutes=quote, tags=[tag] if tag else []
            ),
        )
