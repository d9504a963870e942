"""/api/v1/restaurants/{restaurant_id}/snapshot and /events: how a device gets in sync."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from hoststand.api import responses
from hoststand.api.deps import CallerDep
from hoststand.api.models import ERRORS, ErrorOut, EventsOut, SnapshotOut
from hoststand.services import reads

RESYNC_REQUIRED = "resync_required: `after` is below the oldest kept event or past the last"
router = APIRouter(prefix="/restaurants/{restaurant_id}", tags=["sync"], responses=ERRORS)


@router.get("/snapshot", response_model=SnapshotOut)
async def get_snapshot(restaurant_id: uuid.UUID, caller: CallerDep) -> Response:
    """Restaurant, tables and guests as of `seq`; then connect with last_seq=seq."""
    snapshot = await reads.snapshot(
        caller.ctx, principal=caller.principal, restaurant_id=restaurant_id
    )
    return responses.JSON(snapshot.view())


@router.get(
    "/events",
    response_model=EventsOut,
    responses={410: {"model": ErrorOut, "description": RESYNC_REQUIRED}},
)
async def list_events(
    restaurant_id: uuid.UUID,
    caller: CallerDep,
    after: Annotated[int, Query(ge=0, description="The last seq you have")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> Response:
    """Events with seq > after, as on the socket; 410 resync_required if some were pruned."""
    page = await reads.events_after(
        caller.ctx,
        principal=caller.principal,
        restaurant_id=restaurant_id,
        after=after,
        limit=limit,
    )
    body = (
        b'{"events":['
        + ",".join(page.messages).encode()
        + b'],"seq":%d,"next_after":%d}'
        % (
            page.seq,
            page.next_after,
        )
    )
    return responses.JSON(body)
