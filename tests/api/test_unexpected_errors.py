"""A bug answers a JSON 500 and is not re-raised (uvicorn would drop a keep-alive connection)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from hoststand.api.errors import UnexpectedErrors
from hoststand.app import create_app
from hoststand.config import Settings
from tests.api.checks import expect_error


async def failing_app(scope: Scope, receive: Receive, send: Send) -> None:
    """An app with a bug."""
    raise ZeroDivisionError("a bug")


async def half_answering_app(scope: Scope, receive: Receive, send: Send) -> None:
    """An app whose bug strikes after it began to answer."""
    await send({"type": "http.response.start", "status": 200, "headers": []})
    raise ZeroDivisionError("a bug")


async def test_a_bug_is_answered_with_the_error_body_and_not_re_raised() -> None:
    transport = httpx.ASGITransport(app=UnexpectedErrors(failing_app))  # re-raises what escapes
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for _ in range(2):
            error = expect_error(await client.get("/anything"), 500, "internal_error")
            assert "bug" not in error["message"]


async def test_a_bug_after_the_answer_began_is_left_to_the_server() -> None:
    transport = httpx.ASGITransport(app=UnexpectedErrors(half_answering_app))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        with pytest.raises(ZeroDivisionError):
            await client.get("/anything")


def test_the_app_answers_bugs_through_it(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}"))
    assert UnexpectedErrors in [m.cls for m in app.user_middleware]
