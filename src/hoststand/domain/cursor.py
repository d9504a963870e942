"""Opaque keyset cursors over (created_at, id), shared by every list."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from hoststand.domain.errors import DomainError, ErrorCode


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where the previous page stopped."""

    created_at: datetime
    id: uuid.UUID

    def encode(self) -> str:
        """The opaque string handed to clients."""
        raw = orjson.dumps([self.created_at.isoformat(), str(self.id)])
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str) -> Cursor:
        """Parse a cursor a client sent back; refuse anything else with validation_error."""
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            created_at, ident = orjson.loads(raw)
            if not isinstance(created_at, str) or not isinstance(ident, str):
                raise ValueError("not a cursor")
            when = datetime.fromisoformat(created_at)
            if when.tzinfo is None:  # ours always carry their zone; the store refuses naive ones
                raise ValueError("not a cursor")
            return cls(when, uuid.UUID(ident))
        except (ValueError, TypeError):
            raise DomainError(
                ErrorCode.VALIDATION_ERROR,
                "invalid cursor: pass back the next_cursor of a previous page",
                [{"field": "cursor", "message": "invalid cursor"}],
            ) from None


def next_cursor(items: list[Any], limit: int) -> str | None:
    """The cursor after a page's last item, given up to `limit` + 1 items read for the page.

    A list is read one item beyond the page: the extra item says whether a next page exists,
    so a list that ends exactly at a page's end gets no cursor to an empty page.
    """
    if len(items) <= limit or limit < 1:
        return None
    return Cursor(items[limit - 1].created_at, items[limit - 1].id).encode()
