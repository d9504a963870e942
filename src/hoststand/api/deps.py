"""Dependencies of the routes, as Annotated aliases.

Every dependency is a coroutine: FastAPI runs plain functions in a worker thread, a thread hop
per dependency per request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts
from fastapi.security import HTTPBearer
from starlette.routing import BaseRoute

from hoststand.domain.access import Principal
from hoststand.domain.cursor import Cursor
from hoststand.domain.errors import DomainError, ErrorCode
from hoststand.runtime import Runtime
from hoststand.services.context import ServiceContext
from hoststand.services.transaction import IdempotencyKey

# One ETag of ours, "3" (weak W/"3" and bare 3 tolerated), or * for any; lists of ETags are
# refused. The OpenAPI page shows the same pattern.
IF_MATCH_PATTERN = r'^(?:\*|(?:W/)?(?:"(\d{1,12})"|(\d{1,12})))$'
_IF_MATCH = re.compile(IF_MATCH_PATTERN)
MAX_IDEMPOTENCY_KEY = 200
API_PREFIX = "/api/"


def _sent_as(**string_schema: Any) -> Callable[[dict[str, Any]], None]:
    """The OpenAPI schema of an optional header: a string of this shape when sent, never null.

    Documentation only: _version_of and _key_of check the formats and name the header in
    their errors.
    """

    def document(schema: dict[str, Any]) -> None:
        schema.pop("anyOf", None)
        schema.update(type="string", **string_schema)

    return document


IF_MATCH_DESCRIPTION = 'The ETag (version) you last saw, e.g. "3"; a stale one gets 412.'
IDEMPOTENCY_KEY_DESCRIPTION = "A unique key per intended change; retries with it never apply twice."
IF_MATCH_SCHEMA: dict[str, Any] = {"pattern": IF_MATCH_PATTERN}
IDEMPOTENCY_KEY_SCHEMA: dict[str, Any] = {"minLength": 1, "maxLength": MAX_IDEMPOTENCY_KEY}

IfMatch = Annotated[
    str | None,
    Header(description=IF_MATCH_DESCRIPTION, json_schema_extra=_sent_as(**IF_MATCH_SCHEMA)),
]
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        description=IDEMPOTENCY_KEY_DESCRIPTION,
        json_schema_extra=_sent_as(**IDEMPOTENCY_KEY_SCHEMA),
    ),
]


@dataclass(frozen=True, slots=True)
class Caller:
    """Who sends the request (its token's principal) and the services it may call."""

    ctx: ServiceContext
    principal: Principal


@dataclass(frozen=True, slots=True)
class Writer(Caller):
    """A caller's change, with its If-Match and Idempotency-Key."""

    expected_version: int | None
    idempotency_key: IdempotencyKey | None


class Bearer(HTTPBearer):
    """The bearer scheme of the OpenAPI page and the check of its token: what a route needs.

    One dependency gives a route its caller: FastAPI solves each dependency of a request, ~15
    us of CPU each (docs/BENCHMARKS.md), and every API request goes through this one. An API
    route whose first dependency is not a Bearer stops the app from being built
    (`require_bearer`), so that none can forget the token check.
    """

    async def __call__(self, request: Request) -> Caller:  # type: ignore[override]
        """The caller of the request's token; Unauthorized or RateLimited otherwise."""
        return await self._caller(request)

    async def _caller(self, request: Request) -> Caller:
        credentials = await super().__call__(request)
        runtime: Runtime = request.app.state.runtime
        secret = credentials.credentials if credentials else None
        client = request.client.host if request.client else "unknown"
        principal = await runtime.authenticator.authenticate(secret, client=client)
        return Caller(runtime.ctx, principal)


class WriteBearer(Bearer):
    """Bearer, and the If-Match and Idempotency-Key of a change, as one dependency.

    It reads the two headers itself rather than declaring them as Header parameters, which
    FastAPI reads and checks again on every request, working out from each one's annotation
    whether it is a list: 2.6-4.6% of a guest update's CPU (docs/BENCHMARKS.md). _version_of
    and _key_of check them, and the OpenAPI page documents them (document_write_headers).
    """

    async def __call__(self, request: Request) -> Writer:  # type: ignore[override]
        """The caller (checked first), then the change's headers: 422 if malformed."""
        caller = await self._caller(request)
        headers = request.headers
        return Writer(
            caller.ctx,
            caller.principal,
            _version_of(headers.get("if-match")),
            await _key_of(request, headers.get("idempotency-key")),
        )


def document_write_headers(openapi: dict[str, Any], routes: Sequence[BaseRoute]) -> None:
    """Document If-Match and Idempotency-Key on the routes of WriterDep.

    As IfMatch and IdempotencyKeyHeader are documented where FastAPI reads them
    (ExpectedVersion and IdempotencyDep): the same header parameters, after the route's own.
    """
    for context in iter_route_contexts(routes):
        if not isinstance(_first_dependency(context), WriteBearer):
            continue
        for method in getattr(context, "methods", None) or ():
            operation = openapi["paths"][str(context.path)][method.lower()]
            operation.setdefault("parameters", []).extend(
                [
                    _header("If-Match", IF_MATCH_DESCRIPTION, IF_MATCH_SCHEMA),
                    _header("Idempotency-Key", IDEMPOTENCY_KEY_DESCRIPTION, IDEMPOTENCY_KEY_SCHEMA),
                ]
            )


def _header(title: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    """An optional header parameter of the OpenAPI page, as FastAPI writes an IfMatch's."""
    return {
        "name": title.lower(),
        "in": "header",
        "required": False,
        "schema": {"description": description, "type": "string", **schema, "title": title},
        "description": description,
    }


def require_bearer(routes: Sequence[BaseRoute]) -> None:
    """Refuse an API route whose first dependency is not a Bearer: it would skip the token.

    First, as the router-wide check it replaces was: the token is checked before any other
    dependency reads the request (a bad cursor or If-Match answers 401, not 422, without one).
    """
    for context in iter_route_contexts(routes):
        path = str(getattr(context, "path", ""))
        if path.startswith(API_PREFIX) and not isinstance(_first_dependency(context), Bearer):
            raise RuntimeError(f"{path}: its first dependency must be CallerDep or WriterDep")


def _first_dependency(context: object) -> object:
    """What a route's first dependency calls; None for a route without one."""
    dependant: Dependant | None = getattr(context, "dependant", None)
    if dependant is None or not dependant.dependencies:
        return None
    return dependant.dependencies[0].call


def _version_of(if_match: str | None) -> int | None:
    if if_match is None:
        return None
    found = _IF_MATCH.match(if_match.strip())
    if found is None:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            'If-Match must be an ETag this API returned, e.g. "3"',
            [{"field": "If-Match", "message": "not an ETag of this API"}],
        )
    version = found.group(1) or found.group(2)
    return None if version is None else int(version)


async def _key_of(request: Request, idempotency_key: str | None) -> IdempotencyKey | None:
    if idempotency_key is None:
        return None
    if not idempotency_key or len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
        raise DomainError(
            ErrorCode.VALIDATION_ERROR,
            f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} characters",
            [{"field": "Idempotency-Key", "message": "bad length"}],
        )
    body = await request.body()
    return IdempotencyKey.for_request(
        idempotency_key, method=request.method, path=request.url.path, body=body
    )


async def _expected_version(if_match: IfMatch = None) -> int | None:
    return _version_of(if_match)


async def _idempotency_key(
    request: Request, idempotency_key: IdempotencyKeyHeader = None
) -> IdempotencyKey | None:
    return await _key_of(request, idempotency_key)


async def _cursor(
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> Cursor | None:
    return None if cursor is None else Cursor.decode(cursor)


async def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


# auto_error=False: a missing or non-Bearer header reaches the authenticator, which answers
# 401 with WWW-Authenticate (or lets open mode in) instead of FastAPI's bare 403.
# scheme_name: the name the OpenAPI page has always given it (HTTPBearer's class name); both
# instances document the same scheme.
_SCHEME: dict[str, Any] = {
    "auto_error": False,
    "bearerFormat": "hs_...",
    "description": "A token of the restaurant (hs_...) or the operator's admin token.",
    "scheme_name": "HTTPBearer",
}
# The first dependency of every API route: the token is checked before anything else.
CallerDep = Annotated[Caller, Depends(Bearer(**_SCHEME))]
# CallerDep with If-Match and Idempotency-Key, for the changes that take both.
WriterDep = Annotated[Writer, Depends(WriteBearer(**_SCHEME))]
RuntimeDep = Annotated[Runtime, Depends(_runtime)]
ExpectedVersion = Annotated[int | None, Depends(_expected_version)]
IdempotencyDep = Annotated[IdempotencyKey | None, Depends(_idempotency_key)]
CursorDep = Annotated[Cursor | None, Depends(_cursor)]
Limit = Annotated[int, Query(ge=1, le=500, description="Items per page")]
