"""Dependencies of the routes, as Annotated aliases.

Every dependency is a coroutine: FastAPI runs plain functions in a worker thread, a thread hop
per dependency per request.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPBearer

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


class BearerAuthentication(HTTPBearer):
    """The bearer scheme of the OpenAPI page and the check of its token, as one dependency.

    One rather than HTTPBearer and a dependency naming it: FastAPI solves each dependency of
    a request (~15 us of CPU each), and every API request goes through this one.
    """

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        """The principal of the request's token; Unauthorized or RateLimited otherwise."""
        credentials = await super().__call__(request)
        runtime: Runtime = request.app.state.runtime
        secret = credentials.credentials if credentials else None
        client = request.client.host if request.client else "unknown"
        principal = await runtime.authenticator.authenticate(secret, client=client)
        request.state.principal = principal
        return principal


# auto_error=False: a missing or non-Bearer header reaches the authenticator, which answers
# 401 with WWW-Authenticate (or lets open mode in) instead of FastAPI's bare 403.
# scheme_name: the name the OpenAPI page has always given it (HTTPBearer's class name).
_bearer = BearerAuthentication(
    auto_error=False,
    bearerFormat="hs_...",
    description="A token of the restaurant (hs_...) or the operator's admin token.",
    scheme_name="HTTPBearer",
)


async def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


# _services and _principal read the runtime themselves rather than through Depends(_runtime):
# FastAPI solves a sub-dependency again for every dependency that names it, cached or not,
# and a guest update named it three times.
async def _services(request: Request) -> ServiceContext:
    runtime: Runtime = request.app.state.runtime
    return runtime.ctx


async def _principal(request: Request) -> Principal:
    # What AUTHENTICATED, a dependency of the router and so solved before the route's own,
    # found; naming _bearer here would solve it over again.
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:  # a route outside the routers that have AUTHENTICATED
        principal = await _bearer(request)
    return principal


def _sent_as(**string_schema: Any) -> Callable[[dict[str, Any]], None]:
    """The OpenAPI schema of an optional header: a string of this shape when sent, never null.

    Documentation only: _version_of and _key_of check the formats and name the header in
    their errors.
    """

    def document(schema: dict[str, Any]) -> None:
        schema.pop("anyOf", None)
        schema.update(type="string", **string_schema)

    return document


IfMatch = Annotated[
    str | None,
    Header(
        description='The ETag (version) you last saw, e.g. "3"; a stale one gets 412.',
        json_schema_extra=_sent_as(pattern=IF_MATCH_PATTERN),
    ),
]
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        description="A unique key per intended change; retries with it never apply twice.",
        json_schema_extra=_sent_as(minLength=1, maxLength=MAX_IDEMPOTENCY_KEY),
    ),
]


@dataclass(frozen=True, slots=True)
class WriteHeaders:
    """A change's If-Match and Idempotency-Key, read by one dependency.

    One rather than ExpectedVersion and IdempotencyDep side by side: FastAPI solves each
    dependency of a request (~15 us of CPU each), and the routes that take both are the writes.
    """

    expected_version: int | None
    idempotency_key: IdempotencyKey | None


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


async def _write_headers(
    request: Request, if_match: IfMatch = None, idempotency_key: IdempotencyKeyHeader = None
) -> WriteHeaders:
    return WriteHeaders(_version_of(if_match), await _key_of(request, idempotency_key))


async def _cursor(
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> Cursor | None:
    return None if cursor is None else Cursor.decode(cursor)


RuntimeDep = Annotated[Runtime, Depends(_runtime)]
ServicesDep = Annotated[ServiceContext, Depends(_services)]
CurrentPrincipal = Annotated[Principal, Depends(_principal)]
# On the /api/v1 router itself, so that a route added later is authenticated by construction;
# CurrentPrincipal hands its principal to the route.
AUTHENTICATED = Depends(_bearer)
ExpectedVersion = Annotated[int | None, Depends(_expected_version)]
IdempotencyDep = Annotated[IdempotencyKey | None, Depends(_idempotency_key)]
# Both of the above, in that order, for the routes that take both.
WriteHeadersDep = Annotated[WriteHeaders, Depends(_write_headers)]
CursorDep = Annotated[Cursor | None, Depends(_cursor)]
Limit = Annotated[int, Query(ge=1, le=500, description="Items per page")]
