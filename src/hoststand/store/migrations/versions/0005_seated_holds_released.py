"""seated parties hold no other table: holds left by releases before the fix are let go

Before the hold-release fix, a reservation seated at (or moved to) another table than the one
it held kept holding that one for the rest of its window: the table was refused to other
reservations (table_already_held) while the party ate elsewhere. Such rows, a seated guest
whose `held_table_id` is not its `table_id`, get the hold a seating writes now: none. As the
fix does it, the guest's version moves on and its `updated_at` is now; unlike the fix, no event
says so (a migration writes no events): a device shows it from its next snapshot. A table's
seated party is the guest's `table_id` (`tables.current_guest_id` says the same, checked by
the seated_has_table constraint and the two unique indexes).

The downgrade leaves the rows as they are: the holds released were never right. A server of
the previous release, serving beside the new one during a rolling deploy, can still write such a
hold (a PATCH of a seated reservation's held_table_id); the new release refuses that
(guest_seated).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hoststand.domain.clock import utcnow
from hoststand.store.schema import UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The columns as this revision knows them; UTCDateTime writes updated_at as the app does.
guests = sa.table(
    "guests",
    sa.column("status", sa.String),
    sa.column("table_id", sa.Uuid),
    sa.column("held_table_id", sa.Uuid),
    sa.column("version", sa.Integer),
    sa.column("updated_at", UTCDateTime()),
)


def upgrade() -> None:
    op.execute(
        guests.update()
        .where(
            guests.c.status == "seated",
            guests.c.held_table_id.is_not(None),
            guests.c.held_table_id != guests.c.table_id,
        )
        .values(held_table_id=None, version=guests.c.version + 1, updated_at=utcnow())
    )


def downgrade() -> None:
    pass
