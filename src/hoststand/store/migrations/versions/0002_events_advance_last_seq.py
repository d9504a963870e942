"""a trigger on events advances the restaurant's last_seq

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

Appending an event and advancing its restaurant's `last_seq` were two statements on every
write; the trigger makes them one. It sets what the second statement set (the seq just
appended), inside the same statement and transaction, so a server of the previous release,
which still runs its own UPDATE, writes the same value again during a rolling upgrade.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The same statement on both databases; PostgreSQL wraps it in a function.
ADVANCE = "UPDATE restaurants SET last_seq = NEW.seq WHERE id = NEW.restaurant_id;"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION events_advance_last_seq() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {ADVANCE} RETURN NULL; END $$"
        )
        op.execute(
            "CREATE TRIGGER events_advance_last_seq AFTER INSERT ON events "
            "FOR EACH ROW EXECUTE FUNCTION events_advance_last_seq()"
        )
    else:
        op.execute(
            "CREATE TRIGGER events_advance_last_seq AFTER INSERT ON events "
            f"FOR EACH ROW BEGIN {ADVANCE} END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER events_advance_last_seq ON events")
        op.execute("DROP FUNCTION events_advance_last_seq()")
    else:
        op.execute("DROP TRIGGER events_advance_last_seq")
