"""WebSocket close codes hoststand uses, and what a client should do on each."""

from __future__ import annotations

from enum import IntEnum


class CloseCode(IntEnum):
    """Documented in docs/PROTOCOL.md."""

    NORMAL = 1000
    PROTOCOL_ERROR = 1002  # sent by the server library for a frame that breaks RFC 6455
    INVALID_TEXT = 1007  # a text frame that is not UTF-8 (RFC 6455 fails the connection)
    MESSAGE_TOO_BIG = 1009  # sent by the server library for frames over the limit
    INTERNAL_ERROR = 1011  # a failure on our side (or unanswered pings); reconnect and resume
    SERVER_RESTARTING = 1012  # reconnect (elsewhere) and resume with last_seq
    UNAUTHORIZED = 4401  # no token, a bad one, or one revoked while connected
    FORBIDDEN = 4403  # the token may not see this restaurant
    NOT_FOUND = 4404  # the restaurant does not exist (or was deleted)
    HANDSHAKE_TIMEOUT = 4408  # no restaurant_connect in time
    TOO_SLOW = 4409  # the device fell behind; reconnect and resume with last_seq
    RATE_LIMITED = 4429  # too many failed authentications from this address
