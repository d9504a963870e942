"""Opaque list cursors: what we hand out comes back intact; anything else is a 422."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
import pytest

from hoststand.domain.cursor import Cursor, next_cursor
from hoststand.domain.errors import DomainError, ErrorCode


@dataclass
class Item:
    """Anything listable: a creation time and an id."""

    created_at: datetime
    id: uuid.UUID


def _encoded(value: object) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(value)).decode().rstrip("=")


def test_a_cursor_survives_the_round_trip() -> None:
    cursor = Cursor(datetime(2025, 9, 1, 10, 0, 0, 123456, tzinfo=UTC), uuid.uuid4())
    encoded = cursor.encode()
    assert "=" not in encoded
    assert Cursor.decode(encoded) == cursor


@pytest.mark.parametrize(
    "value",
    [
        "",
        "not a cursor",
        "%%%",
        "é",
        _encoded(["2025-09-01T10:00:00", "48368766-f7ca-46a5-a007-68f41571f689"]),  # no zone
        _encoded(["2025-09-01T10:00:00+00:00", 7]),
        _encoded([1, "cd3b1295-8dfd-4eb2-9961-d7a4b5630224"]),
        _encoded(["2025-09-01T10:00:00+00:00", "nope"]),
        _encoded(["2025-09-01T10:00:00+00:00"]),
        _encoded({"created_at": "2025-09-01T10:00:00+00:00"}),
        _encoded("just a string"),
    ],
)
def test_anything_but_our_cursor_is_a_validation_error(value: str) -> None:
    with pytest.raises(DomainError) as refused:
        Cursor.decode(value)
    assert refused.value.code == ErrorCode.VALIDATION_ERROR
    assert refused.value.details == [{"field": "cursor", "message": "invalid cursor"}]


def test_only_a_page_with_an_item_beyond_it_has_a_next_cursor() -> None:
    items = [Item(datetime(2025, 9, 1, 10, n, tzinfo=UTC), uuid.uuid4()) for n in range(3)]
    assert next_cursor(items, 4) is None
    assert next_cursor(items, 3) is None  # a list that ends exactly at the page's end
    assert next_cursor([], 1) is None
    after = next_cursor(items, 2)
    assert after is not None
    assert Cursor.decode(after) == Cursor(items[1].created_at, items[1].id)
