"""API tokens: issued to a restaurant's devices and people, shown once, revocable."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass

from hoststand.domain.access import ApiToken, Permission, Principal
from hoststand.domain.clock import utcnow
from hoststand.domain.errors import not_found
from hoststand.domain.events import DataScope
from hoststand.services.commands import TokenCreate
from hoststand.services.context import ServiceContext
from hoststand.services.transaction import IdempotencyKey, change
from hoststand.store import restaurants, tokens

TOKEN_PREFIX = "hs_"  # noqa: S105 (a prefix, not a secret)


def new_secret() -> str:
    """A fresh token secret: 256 random bits behind a recognisable prefix."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """What is stored instead of the secret. A fast hash suffices for 256 random bits."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A token just created: the only moment its secret is known."""

    token: ApiToken
    secret: str

    def view(self) -> dict[str, object]:
        """The token's metadata plus its secret, shown once."""
        return {**self.token.view(), "token": self.secret}

    def replay_view(self) -> dict[str, object]:
        """What a retry with the same Idempotency-Key gets: the secret is never stored."""
        return {**self.token.view(), "token": None}


async def create(
    ctx: ServiceContext,
    *,
    principal: Principal,
    restaurant_id: uuid.UUID,
    command: TokenCreate,
    idempotency_key: IdempotencyKey | None = None,
) -> IssuedToken:
    """Issue a token of the restaurant (owners and the admin)."""
    async with change(
        ctx,
        principal=principal,
        restaurant_id=restaurant_id,
        permission=Permission.MANAGE_TOKENS,
        idempotency_key=idempotency_key,
    ) as tx:
        issued = IssuedToken(
            ApiToken(
                id=uuid.uuid4(),
                restaurant_id=restaurant_id,
                name=command.name,
                role=command.role,
                created_at=tx.now,
            ),
            new_secret(),
        )
        await tokens.insert(tx.conn, token=issued.token, secret_hash=hash_secret(issued.secret))
        tx.data_event(DataScope.TOKENS, "token_created", issued.token.view())
        # Stored for Idempotency-Key retries, so without the secret: a retry learns the id
        # (to revoke it) but the secret exists only in the first response.
        tx.respond(201, issued.replay_view())
    return issued


async def page(
    ctx: ServiceContext, *, principal: Principal, restaurant_id: uuid.UUID
) -> list[ApiToken]:
    """The restaurant's tokens, without secrets."""
    principal.require(restaurant_id, Permission.MANAGE_TOKENS)
    async with ctx.db.read() as conn:
        items = await tokens.for_restaurant(conn, restaurant_id=restaurant_id)
        # Only the admin can ask about a restaurant that does not exist: a mistyped id must
        # not look like a restaurant without tokens.
        if not items and not await restaurants.exists(conn, restaurant_id=restaurant_id):
            raise not_found("restaurant", restaurant_id)
        return items


async def revoke(
    ctx: ServiceContext, *, principal: Principal, restaurant_id: uuid.UUID, token_id: uuid.UUID
) -> ApiToken:
    """Revoke a token: its requests are refused and its sockets closed with 4401."""
    async with change(
        ctx,
        principal=principal,
        restaurant_id=restaurant_id,
        permission=Permission.MANAGE_TOKENS,
    ) as tx:
        token = await tokens.get(tx.conn, token_id=token_id)
        if token is None or token.restaurant_id != restaurant_id:
            raise not_found("token", token_id)
        if token.revoked_at is None:
            token.revoked_at = tx.now
            await tokens.revoke(tx.conn, token_id=token_id, at=tx.now)
            # Every hub, on every instance, closes this token's sockets when it sees this event.
            tx.data_event(DataScope.TOKENS, "token_revoked", token.view())
    return token


async def find_restaurant(ctx: ServiceContext, *, token_id: uuid.UUID) -> uuid.UUID | None:
    """The restaurant a token belongs to (for the CLI, which knows only the token id)."""
    token = await ctx.db.read_one_statement(lambda conn: tokens.get(conn, token_id=token_id))
    return None if token is None else token.restaurant_id


async def touch(ctx: ServiceContext, *, token_id: uuid.UUID) -> None:
    """Record that the token was just used."""
    async with ctx.db.write() as conn:
        await tokens.touch(conn, token_id=token_id, at=utcnow())
