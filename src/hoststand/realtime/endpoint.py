"""The /realtime WebSocket route: accept, handshake, join the hub, read until the end.

`RealtimeRoute` serves it ahead of the routing stack, as a pure ASGI middleware: a device then
holds a dozen fewer suspended coroutines (Starlette's exception wrappers, FastAPI's dependency
exit stacks) for as long as it stays connected, and its socket gets uvicorn's own ASGI `send`,
which wire.DirectSocket writes through synchronously.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Awaitable

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from hoststand.domain.errors import ErrorCode
from hoststand.realtime import handshake, messages
from hoststand.realtime.closecodes import CloseCode
from hoststand.realtime.connection import Connection, TokenBucket
from hoststand.realtime.handshake import Disconnected, HandshakeFailed
from hoststand.realtime.hub import Hub, RestaurantGone
from hoststand.realtime.messages import (
    ClientMessage,
    Ping,
    ProtocolError,
    UserAction,
)
from hoststand.realtime.wire import DirectSocket
from hoststand.runtime import Runtime
from hoststand.store import failures

log = logging.getLogger(__name__)
CLOSE_TIMEOUT = 5.0
PATH = "/realtime"


class RealtimeRoute:
    """Serves WebSocket connections to /realtime; passes everything else on to `app`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        """Route one ASGI connection: what serves it, for the caller to await.

        Not a coroutine itself: a device holds its ASGI call chain suspended for as long as it
        stays connected, and this would be one more frame in it.
        """
        if scope["type"] == "websocket" and scope["path"] == scope.get("root_path", "") + PATH:
            return serve_device(WebSocket(scope, receive, send), DirectSocket.behind(send))
        return self.app(scope, receive, send)


async def realtime(websocket: WebSocket) -> None:
    """The /realtime route as the route table lists it (RealtimeRoute serves it first)."""
    await serve_device(websocket, None)


async def serve_device(websocket: WebSocket, direct: DirectSocket | None) -> None:
    """Serve one device for as long as it stays connected.

    `direct` writes to the device's socket synchronously, when the server allows it. An idle
    device waits in this frame, the last of its call chain before the socket's own `receive`:
    the handshake's frames are gone by then, and each message is handled without a coroutine.
    """
    runtime: Runtime = websocket.app.state.runtime
    opened = await _open(websocket, runtime, direct)
    if opened is None:
        return
    conn, last_seq = opened
    del opened  # this frame lives as long as the device: it keeps only what it uses
    hub = runtime.hub
    try:
        await _join(conn, runtime, last_seq=last_seq)
        if direct is not None:
            direct.handle_texts(functools.partial(_on_text, conn, hub))
        while True:  # what the socket queues: all when not direct, else bytes and the end
            _on_message(conn, hub, await conn.receive())
    except RestaurantGone:
        conn.close(CloseCode.NOT_FOUND, "restaurant not found")
    except (Disconnected, WebSocketDisconnect):
        pass
    except RuntimeError as exc:  # Starlette: the socket was closed under us
        log.debug("connection %s ended: %s", conn.id, exc)
    except Exception:
        _failed(conn)
    finally:
        if direct is not None:
            direct.handle_texts(None)
        hub.leave(conn)
        if conn.close_code is None:
            conn.stop_writer()
        else:  # let the close frame out before the ASGI app returns and the socket drops
            await conn.wait_closed(CLOSE_TIMEOUT)


async def _open(
    websocket: WebSocket, runtime: Runtime, direct: DirectSocket | None
) -> tuple[Connection, int | None] | None:
    """Accept and handshake: the device's connection and where it resumes, or None when over."""
    await websocket.accept()
    if not runtime.hub.accepting:
        await websocket.close(CloseCode.SERVER_RESTARTING, "server restarting")
        return None
    hs = await _handshake(websocket, runtime)
    if hs is None:
        return None
    return _connection(hs, websocket, runtime, direct), hs.connect.last_seq


def _connection(
    hs: handshake.Handshake, websocket: WebSocket, runtime: Runtime, direct: DirectSocket | None
) -> Connection:
    settings, metrics = runtime.ctx.settings, runtime.ctx.metrics
    return Connection(
        websocket,
        restaurant_id=hs.restaurant_id,
        principal=hs.principal,
        queue_limit=settings.ws_queue_limit,
        user_action_limit=TokenBucket(settings.user_action_rate, settings.user_action_burst),
        ticks=runtime.hub.ticks,
        direct=direct,
        device_id=hs.connect.device_id,
        on_overflow=metrics.overflow_closes.inc,
    )


async def _handshake(websocket: WebSocket, runtime: Runtime) -> handshake.Handshake | None:
    """The handshake, counted by outcome; None when the connection is over."""
    metrics = runtime.ctx.metrics
    client = websocket.client.host if websocket.client else "unknown"
    try:
        hs = await handshake.perform(
            websocket,
            ctx=runtime.ctx,
            authenticator=runtime.authenticator,
            client=client,
        )
    except HandshakeFailed as failed:
        metrics.handshakes.labels(failed.outcome).inc()
        await websocket.close(failed.code, failed.reason)
        return None
    except (Disconnected, WebSocketDisconnect):
        metrics.handshakes.labels("disconnected").inc()
        return None
    except Exception as exc:  # the database failing the token check, say: 1011, as documented
        if failures.unavailable(exc):  # an outage, said in words: every device will meet it
            log.warning("handshake of a device failed: database %s", failures.describe(exc))
            log.debug("handshake of a device failed", exc_info=exc)
        else:
            log.exception("handshake of a device failed")
        metrics.handshakes.labels("error").inc()
        await websocket.close(CloseCode.INTERNAL_ERROR, "internal error: reconnect and resume")
        return None
    return hs


async def _join(conn: Connection, runtime: Runtime, *, last_seq: int | None) -> None:
    """Join the hub; the handshake's outcome is counted once the restaurant is known to exist
    (opening its room reads its row: the handshake does not ask the database again)."""
    handshakes = runtime.ctx.metrics.handshakes
    try:
        await runtime.hub.join(conn, last_seq=last_seq, on_entered=handshakes.labels("ok").inc)
    except RestaurantGone:
        handshakes.labels("not_found").inc()
        raise


def _on_message(conn: Connection, hub: Hub, message: Message) -> None:
    """Handle one ASGI message from the device (its disconnect raises Disconnected)."""
    _take(conn, hub, handshake.frame_text(message))


def _on_text(conn: Connection, hub: Hub, text: str | bytes) -> None:
    """Handle a text message the socket hands over as it arrives (an ASCII one as bytes)."""
    try:
        _take(conn, hub, text)
    except Exception:
        _failed(conn)


def _failed(conn: Connection) -> None:
    """Log what went wrong with a device's connection and close it, for it to resume."""
    log.exception("connection %s failed", conn.id)
    conn.close(CloseCode.INTERNAL_ERROR, "internal error: reconnect and resume")


def _take(conn: Connection, hub: Hub, text: str | bytes) -> None:
    """Handle one message from a live device; a refusal is answered with an `error`."""
    try:
        message: ClientMessage = messages.parse_client_message(text)
        # A user_action first: the most frequent message, and the one validated into a dict
        # (an isinstance of a pydantic model runs its metaclass's Python __instancecheck__).
        if isinstance(message, dict):
            _relay_user_action(conn, hub, message)
        elif isinstance(message, Ping):
            _answer(conn, hub, "pong", messages.pong())
        else:
            raise ProtocolError(
                ErrorCode.ALREADY_CONNECTED, "this connection is already established"
            )
    except ProtocolError as exc:
        _answer(conn, hub, "error", messages.error(exc.code, exc.message))


def _answer(conn: Connection, hub: Hub, kind: str, message: str) -> None:
    conn.deliver(message)
    hub.messages_sent.add(kind)


def _relay_user_action(conn: Connection, hub: Hub, action: UserAction) -> None:
    restaurant = conn.restaurant_text
    named = action.get("restaurant_id")
    if named is not None and named != restaurant and not _names(named, restaurant):
        raise ProtocolError(
            ErrorCode.RESTAURANT_MISMATCH,
            "user_action names another restaurant than this connection",
        )
    if not conn.may_relay:
        raise ProtocolError(ErrorCode.FORBIDDEN, "a viewer token may not send user_action")
    if not conn.user_actions.take():
        raise ProtocolError(ErrorCode.RATE_LIMITED, "too many user_action messages; slow down")
    hub.relay(conn, messages.user_action_relay(action, restaurant_id=restaurant, sender=conn.id))


def _names(value: str, restaurant: str) -> bool:
    """Whether `value` is the restaurant's id `restaurant`, in any of UUID's spellings."""
    try:
        return uuid.UUID(value) == uuid.UUID(restaurant)
    except ValueError:
        return False
