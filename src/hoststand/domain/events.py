"""What a committed change tells the devices: event types and actions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    """The seed protocol's broadcast message types."""

    GUEST_UPDATED = "guest_updated"
    TABLE_UPDATED = "table_updated"
    DATA_CHANGE = "data_change"


class GuestAction(StrEnum):
    """`action` of a guest_updated event."""

    CREATED = "created"
    UPDATED = "updated"
    STATUS_CHANGED = "status_changed"
    DELETED = "deleted"


class TableAction(StrEnum):
    """`action` of a table_updated event."""

    CREATED = "created"
    UPDATED = "updated"
    ASSIGNED = "assigned"
    RELEASED = "released"
    STATUS_CHANGED = "status_changed"
    DELETED = "deleted"


class DataScope(StrEnum):
    """`scope` of a data_change event: what kind of thing changed."""

    RESTAURANT = "restaurant"
    TOKENS = "tokens"


@dataclass(slots=True)
class PendingEvent:
    """An event a service recorded inside its transaction, before it has a seq."""

    type: EventType
    action: str
    data: dict[str, Any] | None
    guest_id: uuid.UUID | None = None
    table_id: uuid.UUID | None = None
    scope: DataScope | None = None


@dataclass(slots=True)
class Event:
    """An event as committed to a restaurant's log: ordered by `seq`, gap-free from 1."""

    restaurant_id: uuid.UUID
    seq: int
    id: uuid.UUID
    type: EventType
    action: str
    occurred_at: datetime
    message: str
    guest_id: uuid.UUID | None = None
    table_id: uuid.UUID | None = None
    actor: dict[str, Any] = field(default_factory=dict)
