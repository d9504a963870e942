"""an index on events by table: a table's last seating event is found at once

A reseat (undoing a release) reads the table's last `assigned` or `released` event
(event_log.last_released_guest). Without this index that read walked the restaurant's log back
from its newest event, through every event since, until it met one of the table's: the longer
since the table's last seating, the longer the walk (a full day's log for a table unused since
lunch). With it, the read goes straight to the table's newest events.

Partial, on the events that name a table: guest events (most writes) name none, and leave the
index untouched. On PostgreSQL it is built inside the migration's transaction (not
CONCURRENTLY), so writes wait for the build, which reads the whole log: that is the events of
HOSTSTAND_EVENT_RETENTION_DAYS.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAMES_A_TABLE = sa.text("table_id IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_events_table_seq",
        "events",
        ["table_id", "seq"],
        unique=False,
        sqlite_where=NAMES_A_TABLE,
        postgresql_where=NAMES_A_TABLE,
    )


def downgrade() -> None:
    op.drop_index("ix_events_table_seq", table_name="events")
