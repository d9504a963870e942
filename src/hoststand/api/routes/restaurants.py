"""/api/v1/restaurants"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from hoststand.api import responses
from hoststand.api.deps import CurrentPrincipal, CursorDep, IdempotencyDep, Limit, ServicesDep
from hoststand.api.models import ERRORS, RestaurantOut, RestaurantPage
from hoststand.services import restaurants
from hoststand.services.commands import RestaurantCreate, RestaurantUpdate

router = APIRouter(prefix="/restaurants", tags=["restaurants"], responses=ERRORS)


@router.post("", status_code=201, response_model=RestaurantOut)
async def create_restaurant(
    body: RestaurantCreate, ctx: ServicesDep, principal: CurrentPrincipal, key: IdempotencyDep
) -> Response:
    """Create a restaurant (admin token only)."""
    created = await restaurants.create(ctx, principal=principal, command=body, idempotency_key=key)
    return responses.entity(created, status_code=201)


@router.get("", response_model=RestaurantPage)
async def list_restaurants(
    ctx: ServicesDep, principal: CurrentPrincipal, cursor: CursorDep, limit: Limit = 100
) -> Response:
    """Restaurants this token may see: its own, or all for the admin."""
    items = await restaurants.page(ctx, principal=principal, limit=limit + 1, cursor=cursor)
    return responses.page(items, limit=limit)


@router.get("/{restaurant_id}", response_model=RestaurantOut)
async def get_restaurant(
    restaurant_id: uuid.UUID, ctx: ServicesDep, principal: CurrentPrincipal
) -> Response:
    """One restaurant."""
    found = await restaurants.get(ctx, principal=principal, restaurant_id=restaurant_id)
    return responses.entity(found)


@router.patch("/{restaurant_id}", response_model=RestaurantOut)
async def update_restaurant(
    restaurant_id: uuid.UUID,
    body: RestaurantUpdate,
    ctx: ServicesDep,
    principal: CurrentPrincipal,
    key: IdempotencyDep,
) -> Response:
    """Change name, time zone or turn times (owners)."""
    changed = await restaurants.update(
        ctx, principal=principal, restaurant_id=restaurant_id, command=body, idempotency_key=key
    )
    return responses.entity(changed)


@router.delete("/{restaurant_id}", status_code=204)
async def delete_restaurant(
    restaurant_id: uuid.UUID, ctx: ServicesDep, principal: CurrentPrincipal
) -> Response:
    """Delete a restaurant and everything it has (owners); its devices are disconnected."""
    await restaurants.delete(ctx, principal=principal, restaurant_id=restaurant_id)
    return Response(status_code=204)
