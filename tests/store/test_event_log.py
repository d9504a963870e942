"""The event log's reads: by the indexes made for them."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import event

from hoststand.store import event_log
from hoststand.store.database import Database


async def test_a_tables_last_release_is_found_by_the_tables_index(
    sqlite_database: Database,
) -> None:
    # SQLite's plan is a rule's, not a guess from statistics: it shows what the query can use.
    read: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM events" in statement:
            read.append((statement, parameters))

    engine = sqlite_database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        async with sqlite_database.read() as conn:
            await event_log.last_released_guest(
                conn, restaurant_id=uuid.uuid4(), table_id=uuid.uuid4()
            )
            [(statement, parameters)] = read
            plan = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            steps = [row[-1] for row in plan]
    finally:
        event.remove(engine, "before_cursor_execute", keep)

    assert any("USING INDEX ix_events_table_seq" in step for step in steps), steps
