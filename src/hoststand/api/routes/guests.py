"""/api/v1/restaurants/{restaurant_id}/guests"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response

from hoststand.api import responses
from hoststand.api.deps import (
    CallerDep,
    CursorDep,
    ExpectedVersion,
    IdempotencyDep,
    Limit,
    WriterDep,
)
from hoststand.api.models import ERRORS, GuestOut, GuestPage
from hoststand.domain.clock import EARLIEST, LATEST
from hoststand.domain.status import GuestKind, GuestStatus
from hoststand.services import guests
from hoststand.services.commands import GuestCreate, GuestUpdate

router = APIRouter(prefix="/restaurants/{restaurant_id}/guests", tags=["guests"], responses=ERRORS)


@router.post("", status_code=201, response_model=GuestOut)
async def create_guest(
    restaurant_id: uuid.UUID,
    body: GuestCreate,
    caller: CallerDep,
    key: IdempotencyDep,
) -> Response:
    """Add a walk-in to the waitlist or book a reservation.

    A reservation holding a table too small for the party, or out of service, is refused (409
    hold_does_not_fit) unless the body says override_hold.
    """
    created = await guests.create(
        caller.ctx,
        principal=caller.principal,
        restaurant_id=restaurant_id,
        command=body,
        idempotency_key=key,
    )
    return responses.written(created, status_code=201)


@router.get("", response_model=GuestPage)
async def list_guests(
    restaurant_id: uuid.UUID,
    caller: CallerDep,
    cursor: CursorDep,
    limit: Limit = 100,
    status: Annotated[
        list[GuestStatus] | None, Query(description="Repeat to allow several")
    ] = None,
    kind: GuestKind | None = None,
    day: Annotated[
        date | None,
        Query(
            description="YYYY-MM-DD in the restaurant's time zone",
            ge=EARLIEST.date(),
            lt=LATEST.date(),
        ),
    ] = None,
) -> Response:
    """Guests in the order they joined, by status, kind and day."""
    items = await guests.page(
        caller.ctx,
        principal=caller.principal,
        restaurant_id=restaurant_id,
        limit=limit + 1,
        cursor=cursor,
        statuses=frozenset(status) if status else None,
        kind=kind,
        day=day,
    )
    return responses.page(items, limit=limit)


@router.get("/{guest_id}", response_model=GuestOut)
async def get_guest(restaurant_id: uuid.UUID, guest_id: uuid.UUID, caller: CallerDep) -> Response:
    """One guest."""
    guest = await guests.get(
        caller.ctx, principal=caller.principal, restaurant_id=restaurant_id, guest_id=guest_id
    )
    return responses.entity(guest)


@router.patch("/{guest_id}", response_model=GuestOut)
async def update_guest(
    restaurant_id: uuid.UUID,
    guest_id: uuid.UUID,
    body: GuestUpdate,
    writer: WriterDep,
) -> Response:
    """Edit a guest, or move it along: notified, arrived, cancelled, no_show, restored.

    Holding another table, or growing the party, is refused (409 hold_does_not_fit) when the
    held table is then too small or out of service, unless the body says override_hold. A
    seated party's reserved_for and quoted_wait_minutes are history, also once it has left
    (completed), and it holds only the table it sits at: changing them, or holding another
    table, is refused (409 guest_seated).
    """
    updated = await guests.update(
        writer.ctx,
        principal=writer.principal,
        restaurant_id=restaurant_id,
        guest_id=guest_id,
        command=body,
        expected_version=writer.expected_version,
        idempotency_key=writer.idempotency_key,
    )
    return responses.written(updated)


@router.delete("/{guest_id}", status_code=204)
async def delete_guest(
    restaurant_id: uuid.UUID,
    guest_id: uuid.UUID,
    caller: CallerDep,
    expected: ExpectedVersion,
) -> Response:
    """Remove a guest entered by mistake; refused while seated."""
    await guests.delete(
        caller.ctx,
        principal=caller.principal,
        restaurant_id=restaurant_id,
        guest_id=guest_id,
        expected_version=expected,
    )
    return Response(status_code=204)
