"""A whole session against `hoststand serve` at debug level: no token in logs, bodies or metrics.

The server runs as a child process with its standard error captured, so every log line is seen,
uvicorn's access log included (it prints query strings, `?token=hs_...` among them), and the
websockets library's debug lines (handshake headers, frames).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.auth.processes import child_env
from tests.auth.refusals import assert_unauthorized
from tests.auth.sockets import closed_within, first_message, open_socket, received_within
from tests.servers import ProcessServer, free_port, wait_until

WINDOW = 12  # no 12 characters in a row of a token's random part may show anywhere


@dataclass
class Session:
    """A client session that remembers every secret it used and every body it was answered."""

    base_url: str
    admin_token: str
    secrets: list[str] = field(default_factory=list)
    bodies: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.secrets.append(self.admin_token)

    async def call(
        self,
        method: str,
        path: str,
        token: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        json: Any = None,
        shows_secret: bool = False,
    ) -> httpx.Response:
        """One request; its body is kept unless it is the one answer that shows a secret."""
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        async with httpx.AsyncClient(base_url=self.base_url, timeout=30) as http:
            response = await http.request(method, path, headers=sent, json=json)
        if not shows_secret:
            self.bodies.append(response.text)
        return response

    async def issue(self, rid: str, role: str, token: str) -> dict[str, Any]:
        """A new token of the restaurant; its secret is remembered."""
        response = await self.call(
            "POST",
            f"/api/v1/restaurants/{rid}/tokens",
            token,
            json={"name": f"{role} device", "role": role},
            shows_secret=True,
        )
        assert response.status_code == 201, response.text
        issued: dict[str, Any] = response.json()
        self.secrets.append(issued["token"])
        return issued

    def wrong(self, prefix: str = "hs_") -> str:
        """A wrong token, remembered: a mistyped real one would be just as secret."""
        token = prefix + secrets.token_urlsafe(32)
        self.secrets.append(token)
        return token


GUEST = {"name": "Ottoline Quistgaard", "party_size": 2, "phone": "+1 415-555-0199"}


async def full_session(session: Session) -> None:
    """Create, use (header, query parameter, socket, message field) and revoke tokens; fail."""
    admin = session.admin_token
    created = await session.call("POST", "/api/v1/restaurants", admin, json={"name": "Log Bistro"})
    rid = created.json()["id"]
    base = f"/api/v1/restaurants/{rid}"
    owner = (await session.issue(rid, "owner", admin))["token"]
    host_token = await session.issue(rid, "host", owner)
    host, viewer = host_token["token"], (await session.issue(rid, "viewer", owner))["token"]
    assert (await session.call("GET", f"{base}/snapshot", host)).status_code == 200
    # Tokens in query strings, where uvicorn's access log prints them.
    assert_unauthorized(await session.call("GET", f"{base}/snapshot?token={host}"))
    await session.call("GET", f"/healthz?token={admin}")
    await session.call("GET", f"/api/v1/restaurants?access_token={viewer}", viewer)
    # Sockets: header, query parameter, message field, and the admin's.
    sockets = [
        await open_socket(session.base_url, rid, host, "header"),
        await open_socket(session.base_url, rid, viewer, "query"),
        await open_socket(session.base_url, rid, owner, "message"),
        await open_socket(session.base_url, rid, admin, "query"),
    ]
    for ws in sockets:
        assert (await first_message(ws))["type"] == "connection_established"
    # A guest, while devices listen: its event goes out in frames (logged when compressed).
    guest = await session.call("POST", f"{base}/guests", host, json=GUEST)
    assert guest.status_code == 201
    assert await received_within(sockets[1], GUEST["name"], 10)
    await failed_logins(session, rid)
    revoked = await session.call("DELETE", f"{base}/tokens/{host_token['id']}", owner)
    assert revoked.status_code == 204
    assert await closed_within(sockets[0], 5) == 4401
    assert_unauthorized(await session.call("GET", f"{base}/snapshot", host))
    for ws in sockets[1:]:
        await ws.close()


async def failed_logins(session: Session, rid: str) -> None:
    """Wrong tokens every way they can come, with and without the hs_ prefix."""
    base = f"/api/v1/restaurants/{rid}"
    for prefix in ("hs_", "not-a-token-"):
        assert_unauthorized(await session.call("GET", f"{base}/snapshot", session.wrong(prefix)))
        auth = {"Authorization": f"Token {session.wrong(prefix)}"}
        assert_unauthorized(await session.call("GET", f"{base}/snapshot", headers=auth))
        assert_unauthorized(
            await session.call("GET", f"{base}/snapshot?token={session.wrong(prefix)}")
        )
        for via in ("header", "query", "message"):
            ws = await open_socket(session.base_url, rid, session.wrong(prefix), via)  # type: ignore[arg-type]
            async with ws:
                assert await closed_within(ws, 10) == 4401


def leaks(secret: str, text: str) -> list[str]:
    """The pieces of `secret` found in `text`: the whole, or any WINDOW characters of it."""
    random_part = secret.removeprefix("hs_")
    pieces = {secret} | {random_part[i : i + WINDOW] for i in range(len(random_part) - WINDOW + 1)}
    return sorted(p for p in pieces if p in text)


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_no_token_reaches_the_logs_the_error_bodies_or_the_metrics(
    tmp_path: Path, log_format: str
) -> None:
    log = tmp_path / "serve.log"
    session_admin = secrets.token_urlsafe(32)  # no hs_ prefix: only the admin redaction helps
    env = child_env(
        HOSTSTAND_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'hoststand.db'}",
        HOSTSTAND_ADMIN_TOKEN=session_admin,
        HOSTSTAND_LOG_LEVEL="debug",
        HOSTSTAND_LOG_FORMAT=log_format,
        HOSTSTAND_WS_COMPRESSION="true",  # frames the server sends then pass websockets' logger
    )
    server = ProcessServer(env, log_path=log).start(migrate=True)
    session = Session(server.base_url, session_admin)
    try:
        await full_session(session)
        metrics = (await session.call("GET", "/metrics")).text
    finally:
        server.stop()
    text = log.read_text()
    # The capture is real: access lines with their query strings, and debug lines, are there.
    assert "GET /healthz?token=[redacted]" in text
    assert "/snapshot?token=[redacted]" in text
    assert "< authorization: [redacted]" in text.lower()  # websockets' handshake headers
    assert "< TEXT [redacted]" in text  # websockets' frames, restaurant_connect among them
    # Nor guests' details: frames the server sent are logged by size only.
    assert "> TEXT [redacted]" in text
    assert "> TEXT '" not in text
    assert GUEST["name"] not in text
    assert GUEST["phone"] not in text
    assert len(session.secrets) == 16  # admin, owner, host, viewer and 12 wrong ones
    for secret in session.secrets:
        assert not leaks(secret, text), f"a token shows in the log: {leaks(secret, text)}"
        assert not leaks(secret, metrics), "a token shows in /metrics"
        for body in session.bodies:
            assert not leaks(secret, body), f"a token shows in a response body: {body}"


def test_the_database_password_reaches_neither_the_logs_nor_readyz(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    password = secrets.token_urlsafe(24)
    url = f"postgresql+asyncpg://hoststand:{password}@127.0.0.1:{free_port()}/hoststand"
    env = child_env(HOSTSTAND_DATABASE_URL=url, HOSTSTAND_LOG_LEVEL="debug")
    server = ProcessServer(env, log_path=log).start()  # nothing listens there: every use fails
    try:
        wait_until(
            lambda: all(f"{what} failed" in log.read_text() for what in ("pruning", "event log")),
            20,
            "the pruning and the log poll to fail",
        )
        ready = httpx.get(f"{server.base_url}/readyz", timeout=5)
    finally:
        server.stop()
    assert ready.json()["checks"]["database"] == "unreachable: connection refused"
    assert "pruning failed: database unreachable: connection refused" in log.read_text()
    for text in (log.read_text(), ready.text):
        assert not leaks(password, text)
        assert url.split("@")[1] not in text
