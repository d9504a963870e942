"""Keyset pagination in SQL: the WHERE and ORDER BY that match a Cursor, and a page read with
its restaurant (for the restaurant's 404) in the same statement."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from hoststand.domain.cursor import Cursor
from hoststand.store.schema import restaurants

__all__ = ["Cursor", "after_cursor", "page_of_restaurant", "page_order"]


def after_cursor(table: sa.Table, cursor: Cursor | None) -> sa.ColumnElement[bool]:
    """The WHERE clause that starts a page after `cursor`."""
    if cursor is None:
        return sa.true()
    return sa.tuple_(table.c.created_at, table.c.id) > sa.tuple_(
        sa.literal(cursor.created_at, table.c.created_at.type), sa.literal(cursor.id)
    )


def page_order(table: sa.Table | sa.Subquery) -> list[Any]:
    """The ORDER BY that matches after_cursor."""
    return [table.c.created_at, table.c.id]


async def page_of_restaurant(
    conn: AsyncConnection, page: sa.Select[Any], restaurant_id: uuid.UUID
) -> Sequence[sa.Row[Any]] | None:
    """The rows of `page`, one restaurant's, read with the restaurant: None if there is none.

    One statement, where reading the restaurant first (its 404) and then the page was two: the
    page is joined to the restaurant's row (LEFT JOIN ... ON true), so a restaurant whose page
    is empty is one row without a page row, and a restaurant that does not exist is no row.
    `page` orders by page_order; the rows come in that order, those of the page only.
    """
    rows = page.subquery("page")
    query = (
        sa.select(restaurants.c.id.label("page_of"), rows)
        .select_from(restaurants.outerjoin(rows, sa.true()))
        .where(restaurants.c.id == restaurant_id)
        .order_by(*page_order(rows))
    )
    found = (await conn.execute(query)).all()
    if not found:
        return None
    return [row for row in found if row._mapping["id"] is not None]
