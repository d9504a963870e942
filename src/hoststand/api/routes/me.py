"""/api/v1/me: who the caller is, so that a device offers only what its token may do."""

from __future__ import annotations

from fastapi import APIRouter, Response

from hoststand.api import responses
from hoststand.api.deps import CallerDep
from hoststand.api.models import ERRORS, PrincipalOut

router = APIRouter(prefix="/me", tags=["tokens"], responses=ERRORS)


@router.get("", response_model=PrincipalOut)
async def get_me(caller: CallerDep) -> Response:
    """The token of the request: its name, role and restaurant (never its secret)."""
    return responses.JSON(caller.principal.view())
