"""The per-restaurant event log: appended in the change's own transaction, read to replay."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from hoststand.domain.events import Event, EventType, GuestAction, TableAction
from hoststand.store.schema import events

# Built once (see store/guests.py): the append is on every write's path.
_INSERT = events.insert()


def _entity(row: sa.Row[tuple[object, ...]]) -> Event:
    m = row._mapping
    return Event(
        restaurant_id=m["restaurant_id"],
        seq=m["seq"],
        id=m["id"],
        type=EventType(m["type"]),
        action=m["action"],
        guest_id=m["guest_id"],
        table_id=m["table_id"],
        actor=m["actor"],
        occurred_at=m["occurred_at"],
        message=m["message"],
    )


class RowWrite(NamedTuple):
    """A statement of a change (a row's insert or update, its stored response) for append.

    `statement` is built once, its parameters named apart from every column of its table and
    of events (SQLAlchemy would take a parameter named as a column for one more column to
    set); `name` names it inside a WITH (append).
    """

    name: str
    statement: sa.Insert | sa.Update
    parameters: Mapping[str, object]

    async def execute(self, conn: AsyncConnection) -> None:
        """Run it on its own, outside a WITH."""
        await conn.execute(self.statement, self.parameters)


@functools.lru_cache(maxsize=64)
def _update(table: sa.Table, columns: tuple[str, ...]) -> sa.Update:
    """The update of `columns` of one of `table`'s rows by id, built once per set of columns.

    A guest update names only the columns that changed (store/guests.py).
    """
    new_values = {c: sa.bindparam(f"new_{c}", type_=table.c[c].type) for c in columns}
    return table.update().where(table.c.id == sa.bindparam("key_row")).values(new_values)


def row_update(table: sa.Table, row_id: uuid.UUID, values: Mapping[str, object]) -> RowWrite | None:
    """The update of one row by id to `values`, for append; None when nothing changes."""
    if not values:
        return None
    parameters: dict[str, object] = {"key_row": row_id}
    parameters.update((f"new_{name}", value) for name, value in values.items())
    return RowWrite("updated", _update(table, tuple(values)), parameters)


@functools.lru_cache(maxsize=16)
def _insert(table: sa.Table, columns: tuple[str, ...]) -> sa.Insert:
    """The insert of one row of `table` with `columns`, built once per set of columns."""
    return table.insert().values(
        {c: sa.bindparam(f"new_{c}", type_=table.c[c].type) for c in columns}
    )


def row_insert(table: sa.Table, values: Mapping[str, object]) -> RowWrite:
    """The insert of one row with `values`, to run alone or with a change's events (append)."""
    parameters = {f"new_{name}": value for name, value in values.items()}
    return RowWrite("inserted", _insert(table, tuple(values)), parameters)


@functools.lru_cache(maxsize=64)
def _insert_after(writes: tuple[sa.Insert | sa.Update, ...], names: tuple[str, ...]) -> sa.Insert:
    """The event insert with `writes` before it, each in a WITH: one statement."""
    event_values = {c.name: sa.bindparam(f"event_{c.name}", type_=c.type) for c in events.c}
    ctes = [write.cte(name) for write, name in zip(writes, names, strict=True)]
    return events.insert().values(event_values).add_cte(*ctes)


async def append(
    conn: AsyncConnection, *, batch: Sequence[Event], writes: Sequence[RowWrite] = ()
) -> None:
    """Append events whose seqs follow their restaurant's last_seq; the row's seq follows.

    The caller holds the restaurant's lock (taken at the start of the write), so seqs are
    gap-free and commit in seq order. The database advances `restaurants.last_seq` to each
    event's seq as it is inserted, and stamps the row's `changed_ms` for the log poller (a
    trigger, migration 0003): one statement, not two.

    `writes`, of the same change, go first. On PostgreSQL, with one event, they and the event
    are one statement (a data-modifying WITH), one round trip in place of one each; they touch
    different tables (a row of the change's, its stored response: one of each at most), so
    that PostgreSQL runs the parts in no given order changes nothing.
    """
    if writes and (len(batch) != 1 or conn.dialect.name != "postgresql"):
        for write in writes:
            await write.execute(conn)
        writes = ()
    rows = [
        {
            "restaurant_id": e.restaurant_id,
            "seq": e.seq,
            "id": e.id,
            "type": e.type.value,
            "action": e.action,
            "guest_id": e.guest_id,
            "table_id": e.table_id,
            "actor": e.actor,
            "occurred_at": e.occurred_at,
            "message": e.message,
        }
        for e in batch
    ]
    if writes:
        statements = tuple(w.statement for w in writes)
        statement = _insert_after(statements, tuple(w.name for w in writes))
        parameters: dict[str, object] = {}
        for write in writes:
            parameters.update(write.parameters)
        parameters.update((f"event_{name}", value) for name, value in rows[0].items())
        await conn.execute(statement, parameters)
    elif rows:
        # One row as a dict: SQLAlchemy's executemany path costs more than execute's.
        await conn.execute(_INSERT, rows[0] if len(rows) == 1 else rows)


async def read(
    conn: AsyncConnection,
    *,
    restaurant_id: uuid.UUID,
    after: int,
    limit: int,
    up_to: int | None = None,
) -> list[Event]:
    """Events with seq > after (and <= up_to), in order, at most `limit`."""
    query = sa.select(events).where(events.c.restaurant_id == restaurant_id, events.c.seq > after)
    if up_to is not None:
        query = query.where(events.c.seq <= up_to)
    rows = await conn.execute(query.order_by(events.c.seq).limit(limit))
    return [_entity(row) for row in rows]


async def last_released_guest(
    conn: AsyncConnection, *, restaurant_id: uuid.UUID, table_id: uuid.UUID
) -> uuid.UUID | None:
    """The guest whose release is the table's last seating event, if the log still holds it.

    A release writes the table's `released` event and, at the next seq, the guest's
    `status_changed`; a move's `released` is followed by the new table's `assigned` instead.
    None when the table's last assign or release is not a release, or was pruned.
    """
    last = (
        await conn.execute(
            sa.select(events.c.seq, events.c.action)
            .where(
                events.c.restaurant_id == restaurant_id,
                events.c.table_id == table_id,
                events.c.type == EventType.TABLE_UPDATED.value,
                events.c.action.in_((TableAction.ASSIGNED.value, TableAction.RELEASED.value)),
            )
            .order_by(events.c.seq.desc())
            .limit(1)
        )
    ).first()
    if last is None or last.action != TableAction.RELEASED.value:
        return None
    following = (
        await conn.execute(
            sa.select(events.c.guest_id).where(
                events.c.restaurant_id == restaurant_id,
                events.c.seq == last.seq + 1,
                events.c.type == EventType.GUEST_UPDATED.value,
                events.c.action == GuestAction.STATUS_CHANGED.value,
            )
        )
    ).first()
    return None if following is None else following.guest_id


class LoggedMessage(NamedTuple):
    """An event as a replay sends it: its seq, its type, and the wire message as committed."""

    seq: int
    type: str
    message: str


async def read_messages(
    conn: AsyncConnection, *, restaurant_id: uuid.UUID, after: int, up_to: int, limit: int
) -> list[LoggedMessage]:
    """The wire messages of events in (after, up_to], in seq order, at most `limit`."""
    query = (
        sa.select(events.c.seq, events.c.type, events.c.message)
        .where(
            events.c.restaurant_id == restaurant_id,
            events.c.seq > after,
            events.c.seq <= up_to,
        )
        .order_by(events.c.seq)
        .limit(limit)
    )
    return [LoggedMessage(row.seq, row.type, row.message) for row in await conn.execute(query)]


async def retention_floor(conn: AsyncConnection, *, restaurant_id: uuid.UUID, last_seq: int) -> int:
    """The lowest `after` the log can still serve: events above it are all retained."""
    query = sa.select(sa.func.min(events.c.seq)).where(events.c.restaurant_id == restaurant_id)
    oldest = (await conn.execute(query)).scalar()
    return last_seq if oldest is None else int(oldest) - 1


async def prune(
    conn: AsyncConnection, *, before: datetime, restaurant_id: uuid.UUID | None = None
) -> int:
    """Delete events older than `before` (of one restaurant, or all); returns how many went.

    A restaurant's seq lives on its row, so pruning never lets a seq be reused.
    """
    query = events.delete().where(events.c.occurred_at < before)
    if restaurant_id is not None:
        query = query.where(events.c.restaurant_id == restaurant_id)
    result = await conn.execute(query)
    return int(result.rowcount or 0)
