"""The one place that turns exceptions into HTTP error responses.

Every error body is {"error": {"code", "message", "details"}}; codes live in ErrorCode.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hoststand.api.responses import JSON, etag
from hoststand.domain.errors import DomainError, ErrorCode, not_found
from hoststand.services.authentication import RateLimited
from hoststand.services.transaction import Replayed
from hoststand.store import failures

log = logging.getLogger(__name__)

STATUS: dict[str, int] = {
    ErrorCode.VALIDATION_ERROR: 422,
    ErrorCode.INVALID_JSON: 422,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.VERSION_CONFLICT: 412,
    ErrorCode.IDEMPOTENCY_KEY_REUSED: 422,
    ErrorCode.RESYNC_REQUIRED: 410,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.INTERNAL_ERROR: 500,
    ErrorCode.DATABASE_UNAVAILABLE: 503,
}
CONFLICT_STATUS = 409  # every other refusal is a conflict with the current state
# What a 503 database_unavailable asks a client to wait before it tries again.
DATABASE_RETRY_AFTER_SECONDS = 2

# Where FastAPI says a failing input was; clients know their fields without it.
REQUEST_PARTS = frozenset({"body", "query", "path", "header", "cookie"})

# What a 405's Allow header is made of: the methods a route of the path answers (and HEAD,
# which App answers wherever GET is).
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

HTTP_CODES = {
    400: ErrorCode.VALIDATION_ERROR,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The error envelope."""
    return {"error": {"code": code, "message": message, "details": details}}


def status_for(code: str) -> int:
    """The HTTP status of an error code."""
    return STATUS.get(code, CONFLICT_STATUS)


async def _domain_error(_: Request, exc: Exception) -> JSON:
    assert isinstance(exc, DomainError)
    return refusal(exc)


def refusal(exc: DomainError) -> JSON:
    """The response for a DomainError: its code's status and the error envelope."""
    headers: dict[str, str] = {}
    if exc.code == ErrorCode.UNAUTHORIZED:
        headers["WWW-Authenticate"] = 'Bearer realm="hoststand"'
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    return JSON(error_body(exc.code, exc.message, exc.details), status_for(exc.code), headers)


async def _replayed(_: Request, exc: Exception) -> JSON:
    assert isinstance(exc, Replayed)
    stored = exc.response
    headers = {"Idempotent-Replayed": "true"}
    if exc.version is not None:
        headers["ETag"] = etag(exc.version)
    return JSON(stored.body.encode(), stored.status_code, headers)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in REQUEST_PARTS:
        parts = parts[1:]
    return ".".join(parts) or "body"


def _message(err: Any) -> str:
    # pydantic prefixes the messages of our own validators; clients need only the sentence.
    return str(err.get("msg", "invalid")).removeprefix("Value error, ")


async def _validation_error(_: Request, exc: Exception) -> JSON:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    for err in errors:
        loc = tuple(err.get("loc", ()))
        if loc[:1] == ("path",) and len(loc) > 1:
            # A path id that cannot exist names nothing: the same answer as an unknown id.
            kind = str(loc[1]).removesuffix("_id")
            return refusal(not_found(kind, str(err.get("input"))[:100]))
        if err.get("type") == "json_invalid":
            reason = (err.get("ctx") or {}).get("error", "invalid JSON")
            where = f" at character {loc[1]}" if len(loc) > 1 else ""
            return _invalid_json(f"{reason}{where}")
    details = [{"field": _field(e.get("loc", ())), "message": _message(e)} for e in errors]
    return JSON(error_body(ErrorCode.VALIDATION_ERROR, "the request is not valid", details), 422)


def _invalid_json(reason: str) -> JSON:
    details = [{"field": "body", "message": reason}]
    return JSON(
        error_body(ErrorCode.INVALID_JSON, "the request body is not valid JSON", details), 422
    )


async def _http_error(request: Request, exc: Exception) -> JSON:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
        # FastAPI's answer to a JSON body that is not text; the socket's is invalid_json too.
        return _invalid_json("not UTF-8 text")
    code = HTTP_CODES.get(exc.status_code, ErrorCode.VALIDATION_ERROR)
    message = exc.detail if isinstance(exc.detail, str) else "request refused"
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
    return JSON(error_body(code, message), exc.status_code, headers)


def _allowed_methods(request: Request) -> str:
    # FastAPI makes a route per method, and the route that raises a 405 names its own only;
    # the web page's mount, which takes what no route fully matches outside /api/ (DELETE
    # /healthz), names GET and HEAD. The path's methods are those that some route other than
    # the mount fully matches.
    routes = [route for route in request.app.router.routes if not isinstance(route, Mount)]
    allowed = [
        method
        for method in METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]
    if "GET" in allowed:
        allowed.insert(1, "HEAD")
    return ", ".join(allowed)


async def _integrity_error(_: Request, exc: Exception) -> JSON:
    # Only reached when a race slips past the services' checks: the database guard held.
    log.info("integrity guard refused a write: %s", type(exc).__name__)
    return JSON(
        error_body(ErrorCode.CONFLICT, "the change conflicts with the current state; reload"), 409
    )


class UnexpectedErrors:
    """Answers any other exception of an HTTP request with a JSON 500, or 503 for an outage.

    Starlette's own last-resort handler re-raises after answering, and uvicorn then closes the
    keep-alive connection that the client may already be sending its next request on.

    A database that cannot serve now (store.failures.unavailable: down, out of connections,
    locked) is not a bug: the client is told to try again shortly (503 database_unavailable,
    Retry-After), and the log says what is wrong in words, the traceback only at debug.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; turn an exception into a 500 unless the answer has begun."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watching(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watching)
        except Exception as exc:
            if started or not failures.unavailable(exc):
                log.exception("unhandled error")
                if started:
                    raise
                response = JSON(error_body(ErrorCode.INTERNAL_ERROR, "internal error"), 500)
            else:
                log.warning("request failed: database %s", failures.describe(exc))
                log.debug("request failed", exc_info=exc)
                response = _unavailable()
            await response(scope, receive, send)


def _unavailable() -> JSON:
    message = "the database is unavailable; try again shortly"
    retry = {"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)}
    return JSON(error_body(ErrorCode.DATABASE_UNAVAILABLE, message), 503, retry)


def install(app: FastAPI) -> None:
    """Register the mapper for every kind of exception.

    The handlers are coroutines: Starlette runs plain functions in a worker thread.
    """
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(Replayed, _replayed)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_middleware(UnexpectedErrors)
