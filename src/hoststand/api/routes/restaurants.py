"""/api/v1/restaurants"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from hoststand.api import responses
from hoststand.api.deps import CallerDep, CursorDep, IdempotencyDep, Limit
from hoststand.api.models import ERRORS, RestaurantOut, RestaurantPage
from hoststand.services import restaurants
from hoststand.services.commands import RestaurantCreate, RestaurantUpdate

router = APIRouter(prefix="/restaurants", tags=["restaurants"], responses=ERRORS)


@router.post("", status_code=201, response_model=RestaurantOut)
async def create_restaurant(
    body: RestaurantCreate, caller: CallerDep, key: IdempotencyDep
) -> Response:
    """Create a restaurant (admin token only)."""
    created = await restaurants.create(
        caller.ctx, principal=caller.principal, command=body, idempotency_key=key
    )
    return responses.entity(created, status_code=201)


@router.get("", response_model=RestaurantPage)
async def list_restaurants(caller: CallerDep, cursor: CursorDep, limit: Limit = 100) -> Response:
    """Restaurants this token may see: its own, or all for the admin."""
    items = await restaurants.page(
        caller.ctx, principal=caller.principal, limit=limit + 1, cursor=cursor
    )
    return responses.page(items, limit=limit)


@router.get("/{restaurant_id}", response_model=RestaurantOut)
async def get_restaurant(restaurant_id: uuid.UUID, caller: CallerDep) -> Response:
    """One restaurant."""
    found = await restaurants.get(
        caller.ctx, principal=caller.principal, restaurant_id=restaurant_id
    )
    return responses.entity(found)


@router.patch("/{restaurant_id}", response_model=RestaurantOut)
async def update_restaurant(
    restaurant_id: uuid.UUID,
    body: RestaurantUpdate,
    caller: CallerDep,
    key: IdempotencyDep,
) -> Response:
    """Change name, time zone or turn times (owners)."""
    changed = await restaurants.update(
        caller.ctx,
        principal=caller.principal,
        restaurant_id=restaurant_id,
        command=body,
        idempotency_key=key,
    )
    return responses.entity(changed)


@router.delete("/{restaurant_id}", status_code=204)
async def delete_restaurant(restaurant_id: uuid.UUID, caller: CallerDep) -> Response:
    """Delete a restaurant and everything it has (owners); its devices are disconnected."""
    await restaurants.delete(caller.ctx, principal=caller.principal, restaurant_id=restaurant_id)
    return Response(status_code=204)
