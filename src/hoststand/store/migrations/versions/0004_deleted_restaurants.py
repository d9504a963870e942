"""deleted_restaurants: a stamped row per deleted restaurant, for the log poller's change read

A deleted restaurant leaves no row whose `changed_ms` (0002) could move, so only the poller's
full sweep (every 30 s) saw it; an instance that missed the deletion's publish (another process
on the in-memory broker, a publish lost to a Redis outage) kept its devices until then. The
deletion now inserts this row in its transaction, and every poll reads the rows stamped since
its previous one (see Hub.poll_once). A server of the previous release deletes without it: its
deletions are found by the sweep, as before.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deleted_restaurants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("changed_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deleted_restaurants")),
    )
    op.create_index(
        "ix_deleted_restaurants_changed_ms", "deleted_restaurants", ["changed_ms"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_deleted_restaurants_changed_ms", table_name="deleted_restaurants")
    op.drop_table("deleted_restaurants")
