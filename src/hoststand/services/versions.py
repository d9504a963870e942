"""Optimistic concurrency: refuse a write made on a stale copy."""

from __future__ import annotations

from hoststand.domain.entities import Guest, Table
from hoststand.domain.errors import DomainError, ErrorCode


def check_version(entity: Guest | Table, expected: int | None) -> None:
    """Raise version_conflict (with the current entity) unless `expected` is current or None."""
    if expected is not None and entity.version != expected:
        kind = "guest" if isinstance(entity, Guest) else "table"
        raise DomainError(
            ErrorCode.VERSION_CONFLICT,
            f"the {kind} changed since version {expected} (now {entity.version}): "
            "reload it and apply your change again",
            entity.view(),
        )
