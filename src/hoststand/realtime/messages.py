"""Every message of the /realtime protocol: the only place that builds or parses them.

Field names, types and the timestamp format follow the seed protocol exactly; hoststand only
adds fields (seq, event_id, data, actor, resumed, ...), never renames or drops one.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal, NotRequired

import orjson
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from typing_extensions import TypedDict

from hoststand.domain.clock import format_timestamp, utcnow
from hoststand.domain.errors import ErrorCode
from hoststand.domain.events import EventType

# The shape of the seed's format, `2025-09-01T10:00:00Z` (UTC, whole seconds).
_WIRE_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


class ProtocolError(Exception):
    """A client message the server answers with an `error` message (the socket stays open)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# ---- client -> server -------------------------------------------------------------------


# Strict: JSON types must match (no "5" for 5, no true for 1); unknown fields are ignored.
_STRICT = ConfigDict(extra="ignore", str_max_length=500, strict=True)


class _ClientMessage(BaseModel):
    model_config = _STRICT


class RestaurantConnect(_ClientMessage):
    """The handshake: which restaurant, who is asking, and where to resume from."""

    type: Literal["restaurant_connect"]
    restaurant_id: str | None = None
    platform: str | None = None
    version: str | None = None
    last_seq: int | None = Field(None, ge=0, le=2**63 - 1)  # a seq is a 64-bit signed integer
    token: str | None = None
    device_id: str | None = Field(None, max_length=200)


class Ping(_ClientMessage):
    """The application-level heartbeat."""

    type: Literal["ping"]


@functools.lru_cache(maxsize=1024)
def _wire_timestamp(value: str) -> str:
    """Any ISO 8601 time with a zone, re-written in the seed's format (whole seconds, Z).

    Cached: devices stamp what they send with the current second, so an instance sees the same
    few values over and over, and checking one costs more than the rest of its message's
    validation (an invalid value raises, and is not cached).
    """
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("must be an ISO 8601 time such as 2025-09-01T10:00:00Z") from None
    if _WIRE_TIMESTAMP.fullmatch(value):
        return value  # a valid time already in the seed's format: no need to re-write it
    if parsed.tzinfo is None:
        raise ValueError("must say its time zone, e.g. 2025-09-01T10:00:00Z")
    try:
        return format_timestamp(parsed)
    except OverflowError:  # a valid time whose UTC is before year 1 or after 9999
        raise ValueError("must fall within the years 1 to 9999 in UTC") from None


class UserAction(TypedDict):
    """A device telling the others what its user is doing; relayed, never stored.

    Validated into a dict, not a model: the most frequent message a device sends, and a model
    instance costs half as much again as its validation.
    """

    __pydantic_config__ = _STRICT  # type: ignore[misc]

    type: Literal["user_action"]
    action: Annotated[str, Field(min_length=1, max_length=100)]
    restaurant_id: NotRequired[str | None]
    guest_id: NotRequired[Annotated[str, Field(max_length=100)] | None]
    table_id: NotRequired[Annotated[str, Field(max_length=100)] | None]
    timestamp: NotRequired[
        Annotated[str, Field(max_length=40), AfterValidator(_wire_timestamp)] | None
    ]


ClientMessage = RestaurantConnect | Ping | UserAction
_VALIDATORS: dict[str, Callable[[Any], ClientMessage]] = {
    "restaurant_connect": RestaurantConnect.model_validate,
    "ping": Ping.model_validate,
    # The adapter's core validator itself: TypeAdapter.validate_python's Python wrapper (its
    # keyword arguments) costs half as much again as the validation of a user_action.
    "user_action": TypeAdapter(UserAction).validator.validate_python,
}


def parse_client_message(text: str | bytes) -> ClientMessage:
    """Parse one frame from a device; raise ProtocolError saying what is wrong with it."""
    try:
        raw = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise ProtocolError(ErrorCode.INVALID_JSON, "the message is not valid JSON") from None
    if not isinstance(raw, dict):
        raise ProtocolError(ErrorCode.VALIDATION_ERROR, "a message must be a JSON object")
    kind = raw.get("type")
    if not isinstance(kind, str):
        raise ProtocolError(ErrorCode.VALIDATION_ERROR, "the message has no string 'type' field")
    validate = _VALIDATORS.get(kind)
    if validate is None:
        raise ProtocolError(ErrorCode.UNKNOWN_TYPE, f"unknown message type {kind!r}")
    try:
        return validate(raw)
    except ValidationError as exc:
        raise ProtocolError(ErrorCode.VALIDATION_ERROR, _describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "message"
        parts.append(f"{where}: {err['msg']}")
    return "invalid message: " + "; ".join(parts)


# ---- server -> client -------------------------------------------------------------------


def _dump(message: dict[str, Any]) -> str:
    return orjson.dumps(message).decode()


def _now() -> str:
    return format_timestamp(utcnow())


def connection_established(
    *, restaurant_id: uuid.UUID, seq: int, resumed: bool, connection_id: str
) -> str:
    """The answer to a successful restaurant_connect."""
    return _dump(
        {
            "type": "connection_established",
            "restaurant_id": str(restaurant_id),
            "timestamp": _now(),
            "seq": seq,
            "resumed": resumed,
            "connection_id": connection_id,
        }
    )


def pong() -> str:
    """The answer to a ping."""
    return _dump({"type": "pong", "timestamp": _now()})


def error(code: str, message: str) -> str:
    """A refusal of one client message; the connection stays open."""
    return _dump({"type": "error", "code": code, "message": message, "timestamp": _now()})


def resync_required(*, restaurant_id: uuid.UUID, seq: int) -> str:
    """The client's last_seq cannot be served: refetch the snapshot, then go on from `seq`."""
    return _dump(
        {
            "type": "resync_required",
            "restaurant_id": str(restaurant_id),
            "seq": seq,
            "timestamp": _now(),
        }
    )


def event(
    *,
    restaurant_id: uuid.UUID,
    seq: int,
    event_id: uuid.UUID,
    type: EventType,
    action: str,
    occurred_at: datetime,
    data: dict[str, Any] | None,
    actor: dict[str, Any],
    guest_id: uuid.UUID | None = None,
    table_id: uuid.UUID | None = None,
    scope: str | None = None,
) -> str:
    """A broadcast of one committed change: guest_updated, table_updated or data_change."""
    message: dict[str, Any] = {"type": type.value, "restaurant_id": str(restaurant_id)}
    if type is EventType.GUEST_UPDATED:
        message["guest_id"] = str(guest_id)
    elif type is EventType.TABLE_UPDATED:
        message["table_id"] = str(table_id)
    else:
        message["scope"] = scope
    message.update(
        action=action,
        timestamp=format_timestamp(occurred_at),
        seq=seq,
        event_id=str(event_id),
        data=data,
        actor=actor,
    )
    return _dump(message)


def user_action_relay(action: UserAction, *, restaurant_id: str, sender: str) -> bytes:
    """The user_action as the other devices get it: validated, stamped, with its sender.

    `restaurant_id` is the connection's restaurant, as the server writes ids. Its UTF-8, as
    framed for every device: decoding it to text and encoding it again for the frame would
    cost a relay more than the two copies of the bytes' framing.
    """
    relayed: dict[str, Any] = {
        "type": "user_action",
        "action": action["action"],
        "restaurant_id": restaurant_id,
        "timestamp": action.get("timestamp") or _now(),
        "sender": sender,
    }
    guest_id = action.get("guest_id")
    if guest_id is not None:
        relayed["guest_id"] = guest_id
    table_id = action.get("table_id")
    if table_id is not None:
        relayed["table_id"] = table_id
    return orjson.dumps(relayed)


def event_seq(message: str) -> int:
    """The seq of a serialised event (for clients and tests that follow the feed)."""
    return int(orjson.loads(message)["seq"])
