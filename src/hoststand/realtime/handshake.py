"""The handshake phase: within a deadline, a restaurant_connect that authenticates, or a close.

The token may come as an `Authorization: Bearer` header (iOS URLRequest), a `token` query
parameter (browsers cannot set headers) or a `token` field of restaurant_connect.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import Headers, QueryParams
from starlette.websockets import WebSocket

from hoststand.domain.access import Principal
from hoststand.domain.errors import ErrorCode
from hoststand.realtime import messages
from hoststand.realtime.closecodes import CloseCode
from hoststand.realtime.messages import Ping, ProtocolError, RestaurantConnect
from hoststand.services.authentication import Authenticator, RateLimited, Unauthorized
from hoststand.services.context import ServiceContext


@dataclass(frozen=True, slots=True)
class Handshake:
    """An authenticated device, the restaurant it may follow, and where it resumes."""

    principal: Principal
    restaurant_id: uuid.UUID
    connect: RestaurantConnect


class HandshakeFailed(Exception):
    """The connection must be closed with `code`; `outcome` names why, for the metrics."""

    def __init__(self, code: int, reason: str, outcome: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.outcome = outcome


class Disconnected(Exception):
    """The device went away during the handshake."""


def bearer_token(websocket: WebSocket) -> str | None:
    """The token from the Authorization header or the `token` query parameter."""
    # Not websocket.headers nor .query_params: Starlette would keep what they parse for as long
    # as the connection lives, and it is needed only here, once.
    header = Headers(scope=websocket.scope).get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return _query(websocket, "token") or None


def _query(websocket: WebSocket, name: str) -> str | None:
    value: str | None = QueryParams(websocket.scope["query_string"]).get(name)
    return value


def frame_text(message: Mapping[str, Any]) -> str | bytes:
    """The payload of a received frame, text or bytes."""
    if message["type"] == "websocket.disconnect":
        raise Disconnected()
    text: str | None = message.get("text")
    if text is not None:
        return text
    data: bytes = message.get("bytes") or b""
    return data


async def perform(
    websocket: WebSocket,
    *,
    ctx: ServiceContext,
    authenticator: Authenticator,
    client: str,
) -> Handshake:
    """Run the handshake phase; raise HandshakeFailed or Disconnected when it does not succeed.

    Whether the restaurant exists is not asked here: joining its room reads its row anyway
    (Hub.join raises RestaurantGone, a 4404 as well), and a reconnect storm would otherwise
    pay one more database read per device.
    """
    try:
        async with asyncio.timeout(ctx.settings.handshake_timeout_seconds):
            while True:
                text = frame_text(await websocket.receive())
                try:
                    message = messages.parse_client_message(text)
                    if isinstance(message, Ping):
                        await _answer(websocket, ctx, "pong", messages.pong())
                        continue
                    if not isinstance(message, RestaurantConnect):
                        raise ProtocolError(
                            ErrorCode.HANDSHAKE_REQUIRED,
                            "send restaurant_connect first; only ping is allowed before it",
                        )
                    restaurant_id = _restaurant_id(websocket, message)
                except ProtocolError as exc:
                    await _answer(websocket, ctx, "error", messages.error(exc.code, exc.message))
                    continue
                return await _authorize(
                    ctx, authenticator, websocket, message, restaurant_id, client
                )
    except TimeoutError:
        raise HandshakeFailed(
            CloseCode.HANDSHAKE_TIMEOUT, "no restaurant_connect in time", "timeout"
        ) from None


async def _answer(websocket: WebSocket, ctx: ServiceContext, kind: str, message: str) -> None:
    await websocket.send_text(message)
    ctx.metrics.messages_sent.add(kind)


def _restaurant_id(websocket: WebSocket, connect: RestaurantConnect) -> str:
    in_query = _query(websocket, "restaurant_id")
    in_message = connect.restaurant_id
    if in_query and in_message and _canonical(in_query) != _canonical(in_message):
        raise ProtocolError(
            ErrorCode.RESTAURANT_MISMATCH,
            "restaurant_id in the message differs from the one in the URL",
        )
    chosen = in_message or in_query
    if not chosen:
        raise ProtocolError(ErrorCode.VALIDATION_ERROR, "restaurant_connect needs a restaurant_id")
    return chosen


def _canonical(restaurant_id: str) -> str:
    """The same id however it is spelled (a UUID in upper case is still the same restaurant)."""
    try:
        return str(uuid.UUID(restaurant_id))
    except ValueError:
        return restaurant_id


async def _authorize(
    ctx: ServiceContext,
    authenticator: Authenticator,
    websocket: WebSocket,
    connect: RestaurantConnect,
    restaurant_id: str,
    client: str,
) -> Handshake:
    secret = bearer_token(websocket) or connect.token
    try:
        principal = await authenticator.authenticate(secret, client=client)
    except RateLimited:
        raise HandshakeFailed(
            CloseCode.RATE_LIMITED, "too many failed authentications", "rate_limited"
        ) from None
    except Unauthorized as exc:
        raise HandshakeFailed(CloseCode.UNAUTHORIZED, exc.message, "unauthorized") from None
    try:
        rid = uuid.UUID(restaurant_id)
    except ValueError:
        rid = None
    if rid is None or not principal.can_see(rid):
        if principal.is_admin:
            raise HandshakeFailed(CloseCode.NOT_FOUND, "restaurant not found", "not_found")
        raise HandshakeFailed(
            CloseCode.FORBIDDEN, "this token may not follow that restaurant", "forbidden"
        )
    return Handshake(principal, rid, connect)
