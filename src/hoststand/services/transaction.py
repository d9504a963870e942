"""The write transaction every change goes through: lock, check, write, log events, publish.

One restaurant's writers are serialised by its row lock (SQLite: the database lock), taken
first. So checks made inside a change see the latest committed state, seqs are gap-free, and
they commit in seq order. Events are published only after the commit.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import signal
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from hoststand.bus import Envelope
from hoststand.domain.access import Permission, Principal
from hoststand.domain.clock import utcnow
from hoststand.domain.entities import Guest, Restaurant, Table
from hoststand.domain.errors import DomainError, ErrorCode, not_found
from hoststand.domain.events import DataScope, Event, EventType, PendingEvent
from hoststand.realtime import messages
from hoststand.services.context import ServiceContext
from hoststand.store import event_log, idempotency, restaurants
from hoststand.store.event_log import RowWrite
from hoststand.store.idempotency import StoredResponse

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class IdempotencyKey:
    """A client's Idempotency-Key and the fingerprint of the request it came with."""

    key: str
    request_hash: str

    @classmethod
    def for_request(cls, key: str, *, method: str, path: str, body: bytes) -> IdempotencyKey:
        """Fingerprint method, path and body, so that a reused key is told apart from a retry."""
        canonical = b"\n".join([method.encode(), path.encode(), _canonical_json(body)])
        return cls(key, hashlib.sha256(canonical).hexdigest())


def _canonical_json(body: bytes) -> bytes:
    # A retry may re-serialise the same JSON with other spacing or key order: same request.
    try:
        return orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS)
    except orjson.JSONDecodeError:
        return body


EntityT = TypeVar("EntityT", Guest, Table, Restaurant)


@dataclass(frozen=True, slots=True)
class Written(Generic[EntityT]):
    """An entity as a change left it, and its view as built for the change's event and response.

    The route answers with this view rather than building it again (~7 us of a guest's ~1 ms).
    """

    entity: EntityT
    view: dict[str, Any]


class Replayed(Exception):
    """A retry of a request already done: answer with the stored response, change nothing."""

    def __init__(self, response: StoredResponse) -> None:
        super().__init__("idempotent replay")
        self.response = response

    @property
    def version(self) -> int | None:
        """The entity version the replayed response's ETag names, as the original one did."""
        body = orjson.loads(self.response.body)
        if not isinstance(body, dict):
            return None
        # A seating result is tagged with its table, like the live response.
        entity = body.get("table") if "version" not in body else body
        version = entity.get("version") if isinstance(entity, dict) else None
        return version if isinstance(version, int) else None


@dataclass
class Change:
    """One change in progress: the locked restaurant, who acts, and the events to emit."""

    conn: AsyncConnection
    restaurant: Restaurant
    principal: Principal
    now: datetime
    # The guest named by change(guest_id=...), read under the lock; None if there is none.
    guest: Guest | None = None
    pending: list[PendingEvent] = field(default_factory=list)
    result: tuple[int, dict[str, Any]] | None = None
    # A row's insert or update that the change leaves to go out with its events: on
    # PostgreSQL they are one statement (event_log.append). Nothing in the change may read
    # that row after.
    row_write: RowWrite | None = None

    def guest_event(
        self,
        action: str,
        guest: Guest,
        *,
        deleted: bool = False,
        view: dict[str, Any] | None = None,
    ) -> None:
        """Record a guest_updated event carrying the guest as it now is (`view`, if built)."""
        data = None if deleted else view or guest.view()
        self.pending.append(PendingEvent(EventType.GUEST_UPDATED, action, data, guest_id=guest.id))

    def table_event(self, action: str, table: Table, *, deleted: bool = False) -> None:
        """Record a table_updated event carrying the table as it now is."""
        data = None if deleted else table.view()
        self.pending.append(PendingEvent(EventType.TABLE_UPDATED, action, data, table_id=table.id))

    def data_event(self, scope: DataScope, action: str, data: dict[str, Any] | None) -> None:
        """Record a data_change event for a change that is neither a guest nor a table."""
        self.pending.append(PendingEvent(EventType.DATA_CHANGE, action, data, scope=scope))

    def respond(self, status_code: int, body: dict[str, Any]) -> None:
        """The response to keep for retries carrying the same Idempotency-Key."""
        self.result = (status_code, body)

    def seal(self) -> list[Event]:
        """Give the pending events their seqs and wire messages."""
        sealed = []
        seq = self.restaurant.last_seq
        actor = self.principal.actor()
        for p in self.pending:
            seq += 1
            event_id = uuid.uuid4()
            message = messages.event(
                restaurant_id=self.restaurant.id,
                seq=seq,
                event_id=event_id,
                type=p.type,
                action=p.action,
                occurred_at=self.now,
                data=p.data,
                actor=actor,
                guest_id=p.guest_id,
                table_id=p.table_id,
                scope=p.scope.value if p.scope else None,
            )
            sealed.append(
                Event(
                    restaurant_id=self.restaurant.id,
                    seq=seq,
                    id=event_id,
                    type=p.type,
                    action=p.action,
                    occurred_at=self.now,
                    message=message,
                    guest_id=p.guest_id,
                    table_id=p.table_id,
                    actor=actor,
                )
            )
        return sealed


@contextlib.asynccontextmanager
async def change(
    ctx: ServiceContext,
    *,
    principal: Principal,
    restaurant_id: uuid.UUID,
    permission: Permission,
    idempotency_key: IdempotencyKey | None = None,
    guest_id: uuid.UUID | None = None,
) -> AsyncIterator[Change]:
    """Run one change of a restaurant as one transaction, then publish its events.

    `guest_id` names the guest the change is about: it is read with the restaurant, as
    `Change.guest`, in the same statement. So is the stored response of `idempotency_key`,
    and the response the change keeps goes out with its events (on PostgreSQL, with one
    event, in the same statement): a keyed write costs no round trip more than another.
    """
    if not principal.can_see(restaurant_id):
        raise not_found("restaurant", restaurant_id)
    key = None if idempotency_key is None else idempotency_key.key
    async with ctx.db.write() as conn:
        locked = await restaurants.lock(
            conn, restaurant_id=restaurant_id, guest_id=guest_id, key=key
        )
        if locked is None:
            raise not_found("restaurant", restaurant_id)
        principal.require(restaurant_id, permission)
        now = utcnow()
        if idempotency_key is not None:
            _check_replay(idempotency_key, locked.stored, now)
        current = Change(
            conn=conn,
            restaurant=locked.restaurant,
            principal=principal,
            now=now,
            guest=locked.guest,
        )
        yield current
        sealed = current.seal()
        writes = [] if current.row_write is None else [current.row_write]
        if idempotency_key is not None and current.result is not None:
            # restaurants.lock counts on it: a stored response moves the restaurant's last_seq.
            assert sealed, "a change that keeps a response logs an event"
            writes.append(_remember(ctx, conn, restaurant_id, idempotency_key, current.result, now))
        await event_log.append(conn, batch=sealed, writes=writes)
    await publish(ctx, sealed)


def _check_replay(key: IdempotencyKey, found: idempotency.Found | None, now: datetime) -> None:
    """Refuse a reused key; raise Replayed for a retry; nothing for a key not (or no more) kept."""
    stored = None if found is None else found.live(now)
    if stored is None:
        return
    if stored.request_hash != key.request_hash:
        raise DomainError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            "this Idempotency-Key was already used for a different request",
        )
    raise Replayed(stored)


def _remember(
    ctx: ServiceContext,
    conn: AsyncConnection,
    restaurant_id: uuid.UUID,
    key: IdempotencyKey,
    result: tuple[int, dict[str, Any]],
    now: datetime,
) -> RowWrite:
    """The write that keeps the change's response, to go out with its events."""
    status_code, body = result
    response = StoredResponse(key.request_hash, status_code, orjson.dumps(body).decode())
    return idempotency.write(
        conn.dialect.name,
        restaurant_id=restaurant_id,
        key=key.key,
        response=response,
        now=now,
        expires_at=now + ctx.settings.idempotency_ttl,
    )


class _FailureLog:
    """Logs the first publish failure, then at most one summary per interval.

    During a broker outage every write fails to publish; one line per write would bury the log.
    """

    def __init__(self, interval: float = 10.0) -> None:
        self.interval = interval
        self.last = -interval
        self.silenced = 0

    def report(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self.last < self.interval:
            self.silenced += 1
            return
        more = f" (and {self.silenced} more since the last report)" if self.silenced else ""
        log.warning("publish failed, hubs will read the database instead: %s%s", exc, more)
        self.last, self.silenced = now, 0


_publish_failures = _FailureLog()


async def publish(ctx: ServiceContext, sealed: list[Event]) -> None:
    """Hand committed events to the broker; if it fails, the hubs find them in the log."""
    if not sealed:
        return
    if ctx.settings.fault_kill_after_commit:
        log.warning("fault injection: killing this process after a commit, before publishing")
        os.kill(os.getpid(), signal.SIGKILL)
    committed_at = time.time()
    for event in sealed:
        ctx.metrics.count_published(event.type.value)
        envelope = Envelope(
            event.restaurant_id, event.seq, event.type.value, event.message, committed_at
        )
        if not await announce(ctx, envelope):
            return


async def announce(ctx: ServiceContext, envelope: Envelope) -> bool:
    """Publish one envelope of a committed change; False (logged) when the broker failed.

    Never raises: the change is committed, and the hubs' log poll finds what was not told.
    """
    try:
        await ctx.broker.publish(envelope.restaurant_id, envelope.encode())
    except Exception as exc:  # the database is the truth; hubs poll it
        _publish_failures.report(exc)
        return False
    return True
