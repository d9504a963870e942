"""create_app(settings): the FastAPI application with its API, realtime socket and web page."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.routing import Match, Mount
from starlette.types import Receive, Scope, Send

from hoststand import __version__
from hoststand.api import docs_pages, errors
from hoststand.api.deps import API_PREFIX, document_write_headers, require_bearer
from hoststand.api.responses import JSON
from hoststand.api.routes import guests, health, me, restaurants, sync, tables, tokens
from hoststand.config import Settings, load_settings
from hoststand.realtime.endpoint import RealtimeRoute, realtime
from hoststand.runtime import Runtime

log = logging.getLogger(__name__)
WEB = Path(__file__).parent / "web"

DESCRIPTION = """
The real-time backend of restaurant host stands: waitlist, reservations and the floor of tables,
kept in sync on every device. Authenticate with `Authorization: Bearer <token>`.
Every change is broadcast on the `/realtime` WebSocket (see docs/PROTOCOL.md).
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application; the database and the broker open in its lifespan."""
    settings = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime.build(settings)
        app.state.runtime = runtime
        await runtime.start()
        _warn_about(settings)
        try:
            yield
        finally:
            await runtime.stop()

    app = App(
        title="hoststand",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        default_response_class=JSON,
        # FastAPI's pages load their scripts from CDNs; docs_pages serves them from here.
        docs_url=None,
        redoc_url=None,
    )
    errors.install(app)
    # Each router straight on the app, not inside an /api/v1 router: FastAPI matches an
    # included router by walking into it, one level less per request. It tries the routers
    # in this order, every route of each until one matches: the host stands' own first (a
    # guest update walked 12 routes of restaurants and tables, 7% of its instructions).
    # Their paths never overlap, so the order changes which routes are tried, not which one
    # answers; the OpenAPI page keeps its own order (App.openapi).
    for module in (guests, tables, sync, restaurants, tokens, me):
        app.include_router(module.router, prefix="/api/v1")
    # Each API route checks the token by its first dependency (CallerDep or WriterDep), which
    # also hands it the caller: one dependency where a router-wide check and the route's own
    # would be two or three to solve on every request. A route that forgets it is refused here.
    require_bearer(app.routes)
    app.include_router(health.router)
    docs_pages.install(app)
    # Listed in the route table, as every endpoint is; App serves it first (see there).
    app.add_api_websocket_route("/realtime", realtime)
    if WEB.is_dir():
        app.router.routes.append(WebMount("/", WebPage(directory=WEB, html=True), name="web"))
    return app


class App(FastAPI):
    """FastAPI, with `/realtime` served by RealtimeRoute ahead of FastAPI's own layers.

    A device holds its ASGI call chain suspended for as long as it stays connected: entered
    here, it holds this one coroutine instead of three (FastAPI's, Starlette's and its error
    middleware's, which passes WebSocket connections on untouched).
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._entry = RealtimeRoute(super().__call__)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection: a device of /realtime, or anything else by FastAPI."""
        scope["app"] = self  # as Starlette sets it: the realtime endpoint finds its runtime there
        if scope["type"] == "http" and scope["method"] == "HEAD":
            # HEAD is GET without the body (RFC 9110), which FastAPI's routes do not take: a
            # monitor's HEAD /healthz got the web page's 404. A copy, so that the server still
            # sees HEAD and sends the headers only.
            scope = {**scope, "method": "GET"}
        await self._entry(scope, receive, send)

    def openapi(self) -> dict[str, Any]:
        """FastAPI's OpenAPI document, its paths in the order of SECTIONS, not of matching,
        with the headers WriterDep reads itself."""
        built = self.openapi_schema is not None  # FastAPI builds it once, then keeps it
        schema = super().openapi()
        if not built:
            document_write_headers(schema, self.routes)
        schema["paths"] = dict(sorted(schema["paths"].items(), key=_section))
        return schema


# The OpenAPI page's sections (tags), in the order it has always shown them.
SECTIONS = ("restaurants", "tables", "guests", "sync", "tokens", "health")


def _section(path_item: tuple[str, dict[str, Any]]) -> int:
    operations = path_item[1].values()
    tag = next((op["tags"][0] for op in operations if op.get("tags")), None)
    return SECTIONS.index(tag) if tag in SECTIONS else len(SECTIONS)


def _warn_about(settings: Settings) -> None:
    """Say at start what a setting allows that its operator may not have meant."""
    if settings.auth == "open":
        log.warning(
            "HOSTSTAND_AUTH=open: NO AUTHENTICATION. Anyone who can reach %s:%s can read and "
            "change every restaurant. For local development only.",
            settings.host,
            settings.port,
        )
    if settings.database_url.startswith("postgresql") and settings.broker_url.startswith("memory"):
        # PostgreSQL is how several instances share restaurants; memory:// tells only this one.
        log.warning(
            "HOSTSTAND_BROKER_URL is memory://: right for one instance only. With several, each "
            "learns of the others' changes from the log poll alone (HOSTSTAND_LOG_POLL_INTERVAL_"
            "SECONDS late); set HOSTSTAND_BROKER_URL=redis://... on every instance."
        )


class WebMount(Mount):
    """The web page's mount at "/", which leaves everything under /api/ to the API.

    Mounted at "/", it matches every path; the router prefers it to an API route that matches
    the path but not the method, and a POST-only API path would answer GET with the page's 404
    rather than a 405 naming the path's methods.
    """

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """No match under /api/; elsewhere, as a Mount."""
        path, root = scope["path"], scope.get("root_path", "")
        if path.removeprefix(root).startswith(API_PREFIX):
            return Match.NONE, {}
        return super().matches(scope)


class WebPage(StaticFiles):
    """The host-stand page: revalidated on every load, and allowed to talk to this server only."""

    HEADERS = {
        # A browser must not run an old module beside a new one after an upgrade.
        "Cache-Control": "no-cache",
        "Content-Security-Policy": (
            "default-src 'self'; connect-src 'self'; img-src 'self' data:; object-src 'none'; "
            "base-uri 'self'; frame-ancestors 'none'"
        ),
        "X-Content-Type-Options": "nosniff",
    }

    async def get_response(self, path: str, scope: Scope) -> Response:
        """The file, with the page's security and caching headers."""
        response = await super().get_response(path, scope)
        for name, value in self.HEADERS.items():
            response.headers.setdefault(name, value)
        return response
