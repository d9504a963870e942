"""change stamps: restaurants.changed_ms and api_tokens.changed_ms, indexed

The log poller reads only the rows changed since its previous poll (see Hub.poll_once).
Existing rows get 0: nothing changed since a poll that has not happened yet, and the poller's
first poll after a start is a full sweep anyway.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAMPED = ("restaurants", "api_tokens")


def upgrade() -> None:
    for table in STAMPED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("changed_ms", sa.BigInteger(), server_default="0", nullable=False)
            )
            batch_op.create_index(f"ix_{table}_changed_ms", ["changed_ms"], unique=False)


def downgrade() -> None:
    for table in STAMPED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_changed_ms")
            batch_op.drop_column("changed_ms")
