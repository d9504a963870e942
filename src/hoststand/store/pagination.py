"""Keyset pagination in SQL: the WHERE and ORDER BY that match a Cursor."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from hoststand.domain.cursor import Cursor

__all__ = ["Cursor", "after_cursor", "page_order"]


def after_cursor(table: sa.Table, cursor: Cursor | None) -> sa.ColumnElement[bool]:
    """The WHERE clause that starts a page after `cursor`."""
    if cursor is None:
        return sa.true()
    return sa.tuple_(table.c.created_at, table.c.id) > sa.tuple_(
        sa.literal(cursor.created_at, table.c.created_at.type), sa.literal(cursor.id)
    )


def page_order(table: sa.Table) -> list[Any]:
    """The ORDER BY that matches after_cursor."""
    return [table.c.created_at, table.c.id]
