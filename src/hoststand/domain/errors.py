"""Error codes (the one list of them) and the exception the domain and services raise."""

from __future__ import annotations

from typing import Any


class ErrorCode:
    """Every error code hoststand puts on the wire, REST and WebSocket alike."""

    VALIDATION_ERROR = "validation_error"
    INVALID_JSON = "invalid_json"
    NOT_FOUND = "not_found"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    RATE_LIMITED = "rate_limited"
    INVALID_TRANSITION = "invalid_transition"
    TABLE_NOT_AVAILABLE = "table_not_available"
    PARTY_TOO_LARGE = "party_too_large"
    TABLE_OCCUPIED = "table_occupied"
    TABLE_NOT_OCCUPIED = "table_not_occupied"
    GUEST_SEATED = "guest_seated"
    DUPLICATE_LABEL = "duplicate_label"
    ALREADY_EXISTS = "already_exists"
    VERSION_CONFLICT = "version_conflict"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    REQUEST_IN_PROGRESS = "request_in_progress"
    TABLE_ALREADY_HELD = "table_already_held"
    TABLE_RESERVED_SOON = "table_reserved_soon"
    HOLD_DOES_NOT_FIT = "hold_does_not_fit"
    RESYNC_REQUIRED = "resync_required"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    CONFLICT = "conflict"
    INTERNAL_ERROR = "internal_error"
    DATABASE_UNAVAILABLE = "database_unavailable"
    # WebSocket only
    HANDSHAKE_REQUIRED = "handshake_required"
    ALREADY_CONNECTED = "already_connected"
    UNKNOWN_TYPE = "unknown_type"
    RESTAURANT_MISMATCH = "restaurant_mismatch"


class DomainError(Exception):
    """A refusal with a stable code, a sentence for people, and optional details."""

    def __init__(self, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


def not_found(kind: str, ident: object) -> DomainError:
    """The refusal for an id that does not exist (or that the caller may not know of).

    Its details say which, for a request that names several (a seating names a table and a
    guest); they only repeat what the caller sent.
    """
    return DomainError(
        ErrorCode.NOT_FOUND, f"{kind} {ident} not found", {"kind": kind, "id": str(ident)}
    )
