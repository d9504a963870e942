"""/api/v1/restaurants/{restaurant_id}/tokens"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from hoststand.api import responses
from hoststand.api.deps import CallerDep, IdempotencyDep, RuntimeDep
from hoststand.api.models import ERRORS, IssuedTokenOut, TokenList
from hoststand.services import tokens
from hoststand.services.commands import TokenCreate

router = APIRouter(prefix="/restaurants/{restaurant_id}/tokens", tags=["tokens"], responses=ERRORS)


@router.post("", status_code=201, response_model=IssuedTokenOut)
async def create_token(
    restaurant_id: uuid.UUID,
    body: TokenCreate,
    caller: CallerDep,
    key: IdempotencyDep,
) -> Response:
    """Issue a token (owners). The secret is in `token`, shown this once."""
    issued = await tokens.create(
        caller.ctx,
        principal=caller.principal,
        restaurant_id=restaurant_id,
        command=body,
        idempotency_key=key,
    )
    return responses.JSON(issued.view(), status_code=201, headers={"Cache-Control": "no-store"})


@router.get("", response_model=TokenList)
async def list_tokens(restaurant_id: uuid.UUID, caller: CallerDep) -> Response:
    """The restaurant's tokens, without their secrets (owners)."""
    items = await tokens.page(caller.ctx, principal=caller.principal, restaurant_id=restaurant_id)
    return responses.JSON({"items": [t.view() for t in items]})


@router.delete("/{token_id}", status_code=204)
async def revoke_token(
    restaurant_id: uuid.UUID, token_id: uuid.UUID, caller: CallerDep, runtime: RuntimeDep
) -> Response:
    """Revoke a token: refused from now on, its open sockets closed with 4401."""
    await tokens.revoke(
        caller.ctx, principal=caller.principal, restaurant_id=restaurant_id, token_id=token_id
    )
    runtime.authenticator.forget(token_id)
    return Response(status_code=204)
