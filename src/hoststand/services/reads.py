"""What devices read to sync: a consistent snapshot, and the event log after a seq."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hoststand.domain.access import Permission, Principal
from hoststand.domain.clock import utcnow
from hoststand.domain.entities import Guest, Restaurant, Table
from hoststand.domain.errors import DomainError, ErrorCode, not_found
from hoststand.domain.status import ACTIVE_GUEST_STATUSES
from hoststand.services.context import ServiceContext
from hoststand.services.guests import day_bounds
from hoststand.store import db_clock, event_log, floor, guests, idempotency, restaurants


@dataclass(slots=True)
class Snapshot:
    """The state of a restaurant as of event `seq`."""

    seq: int
    restaurant: Restaurant
    tables: list[Table]
    guests: list[Guest]

    def view(self) -> dict[str, Any]:
        """The snapshot as the API returns it."""
        return {
            "seq": self.seq,
            "restaurant": self.restaurant.view(),
            "tables": [t.view() for t in self.tables],
            "guests": [g.view() for g in self.guests],
        }


def _start_of_today(restaurant: Restaurant, now: datetime) -> datetime:
    today = now.astimezone(ZoneInfo(restaurant.timezone)).date()
    return day_bounds(today, restaurant.timezone)[0]


async def snapshot(
    ctx: ServiceContext, *, principal: Principal, restaurant_id: uuid.UUID
) -> Snapshot:
    """Restaurant, tables and guests (active ones, and today's finished ones), read in one go."""
    principal.require(restaurant_id, Permission.READ)
    async with ctx.db.read() as conn:
        restaurant = await restaurants.get(conn, restaurant_id=restaurant_id)
        if restaurant is None:
            raise not_found("restaurant", restaurant_id)
        since = _start_of_today(restaurant, utcnow())
        tables = await floor.page(conn, restaurant_id=restaurant_id, limit=None)
        people = await guests.snapshot(
            conn, restaurant_id=restaurant_id, active=ACTIVE_GUEST_STATUSES, since=since
        )
    return Snapshot(restaurant.last_seq, restaurant, tables, people)


@dataclass(slots=True)
class EventPage:
    """A page of the event log, as wire messages."""

    messages: list[str]
    seq: int
    next_after: int


async def events_after(
    ctx: ServiceContext,
    *,
    principal: Principal,
    restaurant_id: uuid.UUID,
    after: int,
    limit: int,
) -> EventPage:
    """Events with seq > after; resync_required when some were already pruned."""
    principal.require(restaurant_id, Permission.READ)
    async with ctx.db.read() as conn:
        restaurant = await restaurants.get(conn, restaurant_id=restaurant_id)
        if restaurant is None:
            raise not_found("restaurant", restaurant_id)
        last = restaurant.last_seq
        floor_seq = await event_log.retention_floor(
            conn, restaurant_id=restaurant_id, last_seq=last
        )
        if after < floor_seq or after > last:
            raise _resync_required(after, last, floor_seq)
        rows = await event_log.read_messages(
            conn, restaurant_id=restaurant_id, after=after, up_to=last, limit=limit
        )
    # Events are pruned by the clock of the instance that made each one: a clock behind the
    # others' lets the prune take an event before those logged ahead of it, leaving a hole.
    hole = _first_hole(rows, after=after, last=last)
    if hole is not None:
        raise _resync_required(after, last, hole)
    next_after = rows[-1].seq if rows else after
    return EventPage([row.message for row in rows], last, next_after)


def _first_hole(rows: list[event_log.LoggedMessage], *, after: int, last: int) -> int | None:
    """The seq after which the page goes on, if a seq is missing from it; else None."""
    for expected, row in enumerate(rows, start=after + 1):
        if row.seq != expected:
            return row.seq - 1
    return last if not rows and after < last else None


def _resync_required(after: int, last: int, oldest_available_after: int) -> DomainError:
    why = f"never were (the last is {last})" if after > last else "are no longer kept"
    return DomainError(
        ErrorCode.RESYNC_REQUIRED,
        f"events after {after} {why}: fetch the snapshot, go on from its seq",
        {"seq": last, "oldest_available_after": oldest_available_after},
    )


async def prune(ctx: ServiceContext) -> tuple[int, int]:
    """Drop events past retention, expired idempotency records, and old deletions' tombstones."""
    now = utcnow()
    retention = timedelta(days=ctx.settings.event_retention_days)
    async with ctx.db.write(bulk=True) as conn:
        gone_events = await event_log.prune(conn, before=now - retention)
        gone_keys = await idempotency.prune(conn, now=now)
        # The log poll reads them for seconds only (Hub.poll_once); kept as long as the events.
        since = await db_clock.read(conn) - int(retention.total_seconds() * 1000)
        await restaurants.prune_deleted(conn, before_ms=since)
    return gone_events, gone_keys
