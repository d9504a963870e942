"""How refusals look: the error envelope, 401 with its header, and tokens that are not valid."""

from __future__ import annotations

import secrets
from typing import Any

import httpx


def bad_token() -> str:
    """A token that looks real and is not."""
    return "hs_" + secrets.token_urlsafe(32)


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The response is the error envelope with this status and code; its body."""
    request = response.request
    assert response.status_code == status, (
        f"{request.method} {request.url.path} answered {response.status_code}, not {status}: "
        f"{response.text}"
    )
    body: dict[str, Any] = response.json()
    assert body["error"]["code"] == code, body
    return body


def assert_unauthorized(response: httpx.Response) -> None:
    """401 unauthorized, with the header that says how to authenticate."""
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer"), response.headers
