"""Who may do what: roles, permissions and the principal a request acts as."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from hoststand.domain.clock import format_optional, format_timestamp
from hoststand.domain.errors import DomainError, ErrorCode, not_found


class Role(StrEnum):
    """A token's role inside its restaurant."""

    OWNER = "owner"
    HOST = "host"
    VIEWER = "viewer"


class Permission(StrEnum):
    """One thing a principal may be allowed to do."""

    READ = "read"
    WRITE_GUESTS = "write_guests"
    SEAT = "seat"
    TABLE_STATUS = "table_status"
    MANAGE_FLOOR = "manage_floor"
    MANAGE_RESTAURANT = "manage_restaurant"
    MANAGE_TOKENS = "manage_tokens"
    USER_ACTION = "user_action"


# How a refusal says it to people (the error's details carry the permission's name).
DOING = {
    Permission.READ: "read this restaurant",
    Permission.WRITE_GUESTS: "add or change guests",
    Permission.SEAT: "seat or release parties",
    Permission.TABLE_STATUS: "change a table's status",
    Permission.MANAGE_FLOOR: "add, change or remove tables (an owner token may)",
    Permission.MANAGE_RESTAURANT: "change or delete the restaurant (an owner token may)",
    Permission.MANAGE_TOKENS: "see or manage tokens (an owner token may)",
    Permission.USER_ACTION: "send user_action",
}

P = Permission
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset({P.READ}),
    Role.HOST: frozenset({P.READ, P.WRITE_GUESTS, P.SEAT, P.TABLE_STATUS, P.USER_ACTION}),
    Role.OWNER: frozenset(Permission),
}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is acting: a restaurant's token, the operator's admin token, or open mode."""

    token_id: uuid.UUID | None
    name: str
    role: Role
    restaurant_id: uuid.UUID | None
    is_admin: bool = False

    def can_see(self, restaurant_id: uuid.UUID) -> bool:
        """True when this principal may know that the restaurant exists."""
        return self.is_admin or self.restaurant_id == restaurant_id

    def may(self, permission: Permission) -> bool:
        """True when this principal's role includes `permission`."""
        return self.is_admin or permission in ROLE_PERMISSIONS[self.role]

    def require(self, restaurant_id: uuid.UUID, permission: Permission) -> None:
        """Refuse unless allowed; another restaurant's id looks exactly like an unknown one."""
        if not self.can_see(restaurant_id):
            raise not_found("restaurant", restaurant_id)
        if not self.may(permission):
            raise DomainError(
                ErrorCode.FORBIDDEN,
                f"a {self.role.value} token may not {DOING[permission]}",
                {"role": self.role.value, "permission": permission.value},
            )

    def view(self) -> dict[str, Any]:
        """Who the caller is, as GET /api/v1/me shows it: what a device may offer its user."""
        restaurant = None if self.restaurant_id is None else str(self.restaurant_id)
        return {**self.actor(), "restaurant_id": restaurant}

    def actor(self) -> dict[str, Any]:
        """How events record who made a change."""
        return {
            "token_id": None if self.token_id is None else str(self.token_id),
            "name": self.name,
            "role": "admin" if self.is_admin else self.role.value,
        }


ADMIN = Principal(token_id=None, name="admin", role=Role.OWNER, restaurant_id=None, is_admin=True)
OPEN_MODE = Principal(
    token_id=None, name="open mode", role=Role.OWNER, restaurant_id=None, is_admin=True
)
SYSTEM = Principal(token_id=None, name="system", role=Role.OWNER, restaurant_id=None, is_admin=True)


@dataclass(slots=True)
class ApiToken:
    """A bearer token of one restaurant, as stored: the secret itself is never kept."""

    id: uuid.UUID
    restaurant_id: uuid.UUID
    name: str
    role: Role
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    def principal(self) -> Principal:
        """The principal requests made with this token act as."""
        return Principal(
            token_id=self.id, name=self.name, role=self.role, restaurant_id=self.restaurant_id
        )

    def view(self) -> dict[str, Any]:
        """The token's metadata as the API shows it."""
        return {
            "id": str(self.id),
            "restaurant_id": str(self.restaurant_id),
            "name": self.name,
            "role": self.role.value,
            "created_at": format_timestamp(self.created_at),
            "last_used_at": format_optional(self.last_used_at),
            "revoked_at": format_optional(self.revoked_at),
        }
