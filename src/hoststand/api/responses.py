"""JSON responses serialised with orjson, and entity responses that carry an ETag."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import JSONResponse

from hoststand.domain.cursor import next_cursor
from hoststand.domain.entities import Guest, Restaurant, Table
from hoststand.services.transaction import Written


class JSON(JSONResponse):
    """application/json, rendered by orjson.

    A JSONResponse, not a bare Response: FastAPI documents a route's response model only when
    its response class is one, and a plain "string" otherwise.
    """

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return content if isinstance(content, bytes) else orjson.dumps(content)


def etag(version: int) -> str:
    """The strong ETag of an entity version."""
    return f'"{version}"'


def entity(item: Restaurant | Table | Guest, *, status_code: int = 200) -> JSON:
    """An entity with its ETag, so a client can send it back as If-Match."""
    return JSON(item.view(), status_code=status_code, headers={"ETag": etag(item.version)})


def written(result: Written[Any], *, status_code: int = 200) -> JSON:
    """An entity a change wrote, with its ETag: the view the change built, not built again."""
    return JSON(result.view, status_code=status_code, headers={"ETag": etag(result.entity.version)})


def page(items: list[Any], *, limit: int) -> JSON:
    """One page of `limit` items, with the cursor of the next page when there is one.

    `items` is what a read of `limit` + 1 returned: the extra one, not sent, says there is more.
    """
    return JSON(
        {"items": [i.view() for i in items[:limit]], "next_cursor": next_cursor(items, limit)}
    )
