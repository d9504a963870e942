"""a trigger on events advances the restaurant's last_seq

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27

Appending an event and advancing its restaurant's `last_seq` were two statements on every
write; the trigger makes them one. It sets what the second statement set (the seq just
appended), inside the same statement and transaction, so a server of the previous release,
which still runs its own UPDATE, writes the same value again during a rolling upgrade. It also
stamps the row's `changed_ms` (0002) from the database's clock, as that UPDATE did: the log
poller reads the restaurants whose stamp moved (see Hub.poll_once).
"""

from collections.abc import Sequence

from alembic import op

from hoststand.store.db_clock import NOW_MS_SQL

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _advance(dialect: str) -> str:
    """The trigger's statement; PostgreSQL wraps it in a function."""
    stamp = NOW_MS_SQL[dialect]  # a constant of ours, not input
    update = "UPDATE restaurants SET last_seq = NEW.seq, changed_ms = "
    return update + stamp + " WHERE id = NEW.restaurant_id;"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION events_advance_last_seq() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {_advance(dialect)} RETURN NULL; END $$"
        )
        op.execute(
            "CREATE TRIGGER events_advance_last_seq AFTER INSERT ON events "
            "FOR EACH ROW EXECUTE FUNCTION events_advance_last_seq()"
        )
    else:
        op.execute(
            "CREATE TRIGGER events_advance_last_seq AFTER INSERT ON events "
            f"FOR EACH ROW BEGIN {_advance(dialect)} END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER events_advance_last_seq ON events")
        op.execute("DROP FUNCTION events_advance_last_seq()")
    else:
        op.execute("DROP TRIGGER events_advance_last_seq")
