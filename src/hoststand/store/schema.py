"""The database schema, as SQLAlchemy Core tables; Alembic migrations create it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike.

    SQLite stores text: SQLAlchemy's DATETIME form of the naive UTC time, `2026-11-27
    14:37:12.000000`, fixed so that comparisons are lexicographic and correct. There this type
    writes and reads that text itself, in one step, instead of adjusting the datetime for
    SQLAlchemy's DATETIME to format or parse it (~8k instructions a value less; a guest update
    reads and writes a dozen).
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def bind_processor(self, dialect: Dialect) -> Callable[[datetime | None], Any] | None:
        """process_bind_param then SQLAlchemy's processing; on SQLite, the stored text at once."""
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        return _sqlite_text

    def result_processor(
        self, dialect: Dialect, coltype: object
    ) -> Callable[[Any], datetime | None] | None:
        """SQLAlchemy's processing then process_result_value; on SQLite, parsed at once."""
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        return _sqlite_datetime


def _sqlite_text(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        value = value.astimezone(UTC)
    # 2026-11-27 14:37:12.000000+00:00 without its offset: years have four digits.
    return value.isoformat(" ", "microseconds")[:26]


def _sqlite_datetime(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value + "+00:00")
    except ValueError:  # text with an offset of its own, never written by this type
        return datetime.fromisoformat(value).astimezone(UTC)


def _uuid() -> sa.Uuid[uuid.UUID]:
    return sa.Uuid(as_uuid=True)


def _json() -> sa.JSON:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _timestamps() -> list[sa.Column[Any]]:
    return [
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    ]


restaurants = sa.Table(
    "restaurants",
    metadata,
    sa.Column("id", _uuid(), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("turn_times", _json(), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    # The restaurant's event counter: taking this row's lock serialises its writers.
    sa.Column("last_seq", sa.BigInteger, nullable=False, server_default="0"),
    *_timestamps(),
    # When last_seq last moved, on the database's clock (store/db_clock.py): the log poller
    # reads only the restaurants changed since its previous poll.
    sa.Column("changed_ms", sa.BigInteger, nullable=False, server_default="0"),
    sa.Index("ix_restaurants_changed_ms", "changed_ms"),
)

# A row per deleted restaurant, stamped like restaurants.changed_ms: the log poller's change read
# finds deletions here, which leave no restaurant row to stamp. Pruned with the events.
deleted_restaurants = sa.Table(
    "deleted_restaurants",
    metadata,
    sa.Column("id", _uuid(), primary_key=True),
    sa.Column("changed_ms", sa.BigInteger, nullable=False),
    sa.Index("ix_deleted_restaurants_changed_ms", "changed_ms"),
)

floor_tables = sa.Table(
    "tables",
    metadata,
    sa.Column("id", _uuid(), primary_key=True),
    sa.Column(
        "restaurant_id",
        _uuid(),
        sa.ForeignKey("restaurants.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("label", sa.String(50), nullable=False),
    sa.Column("capacity", sa.Integer, nullable=False),
    sa.Column("min_capacity", sa.Integer, nullable=False),
    sa.Column("section", sa.String(100)),
    sa.Column("x", sa.Float),
    sa.Column("y", sa.Float),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("current_guest_id", _uuid()),
    sa.Column("version", sa.Integer, nullable=False),
    *_timestamps(),
    sa.UniqueConstraint("restaurant_id", "label"),
    sa.CheckConstraint("capacity >= 1", name="capacity_positive"),
    sa.CheckConstraint("min_capacity >= 1 AND min_capacity <= capacity", name="min_capacity"),
    # One table per seated guest: the database refuses a second, whatever the code does.
    sa.Index("uq_tables_current_guest", "current_guest_id", unique=True),
    sa.Index("ix_tables_restaurant_created", "restaurant_id", "created_at", "id"),
)

guests = sa.Table(
    "guests",
    metadata,
    sa.Column("id", _uuid(), primary_key=True),
    sa.Column(
        "restaurant_id",
        _uuid(),
        sa.ForeignKey("restaurants.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("party_size", sa.Integer, nullable=False),
    sa.Column("phone", sa.String(20)),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("reserved_for", UTCDateTime()),
    sa.Column("duration_minutes", sa.Integer),
    sa.Column("reserved_until", UTCDateTime()),
    sa.Column("held_table_id", _uuid(), sa.ForeignKey("tables.id", ondelete="SET NULL")),
    sa.Column("quoted_wait_minutes", sa.Integer),
    sa.Column("notes", sa.Text),
    sa.Column("tags", _json(), nullable=False),
    sa.Column("table_id", _uuid(), sa.ForeignKey("tables.id", ondelete="SET NULL")),
    sa.Column("joined_at", UTCDateTime(), nullable=False),
    sa.Column("notified_at", UTCDateTime()),
    sa.Column("arrived_at", UTCDateTime()),
    sa.Column("seated_at", UTCDateTime()),
    sa.Column("completed_at", UTCDateTime()),
    sa.Column("version", sa.Integer, nullable=False),
    *_timestamps(),
    sa.CheckConstraint("party_size >= 1", name="party_size_positive"),
    sa.CheckConstraint("(status = 'seated') = (table_id IS NOT NULL)", name="seated_has_table"),
    # One seated guest per table: the database refuses a second, whatever the code does.
    sa.Index(
        "uq_guests_seated_table",
        "table_id",
        unique=True,
        sqlite_where=sa.text("status = 'seated'"),
        postgresql_where=sa.text("status = 'seated'"),
    ),
    sa.Index("ix_guests_restaurant_created", "restaurant_id", "created_at", "id"),
    sa.Index("ix_guests_held_table", "held_table_id", "reserved_for"),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column(
        "restaurant_id",
        _uuid(),
        sa.ForeignKey("restaurants.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("seq", sa.BigInteger, primary_key=True),
    sa.Column("id", _uuid(), nullable=False, unique=True),
    sa.Column("type", sa.String(30), nullable=False),
    sa.Column("action", sa.String(30), nullable=False),
    sa.Column("guest_id", _uuid()),
    sa.Column("table_id", _uuid()),
    sa.Column("actor", _json(), nullable=False),
    sa.Column("occurred_at", UTCDateTime(), nullable=False),
    # The wire message, serialised once at commit: replay sends these bytes as they are.
    sa.Column("message", sa.Text, nullable=False),
    sa.Index("ix_events_occurred_at", "occurred_at"),
    # A table's last seating event (event_log.last_released_guest); guest events name no table.
    sa.Index(
        "ix_events_table_seq",
        "table_id",
        "seq",
        sqlite_where=sa.text("table_id IS NOT NULL"),
        postgresql_where=sa.text("table_id IS NOT NULL"),
    ),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", _uuid(), primary_key=True),
    sa.Column(
        "restaurant_id",
        _uuid(),
        sa.ForeignKey("restaurants.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("last_used_at", UTCDateTime()),
    sa.Column("revoked_at", UTCDateTime()),
    # When the token was revoked, on the database's clock: see restaurants.changed_ms.
    sa.Column("changed_ms", sa.BigInteger, nullable=False, server_default="0"),
    sa.Index("ix_api_tokens_restaurant", "restaurant_id", "created_at"),
    sa.Index("ix_api_tokens_changed_ms", "changed_ms"),
)

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column(
        "restaurant_id",
        _uuid(),
        sa.ForeignKey("restaurants.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.Column("status_code", sa.Integer, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("expires_at", UTCDateTime(), nullable=False),
    sa.Index("ix_idempotency_keys_expires_at", "expires_at"),
)
