"""The API's own pages, /docs (Swagger UI) and /redoc, with their scripts served by this server.

FastAPI's pages load Swagger UI, ReDoc, a favicon and Google's fonts from CDNs: with no internet
(a restaurant's back office, a laptop on a plane) they stay blank. These are FastAPI's pages as
its "self-hosting JavaScript and CSS for docs" recipe builds them, the files taken from the
installed fastapi-offline package (Swagger UI 5 and ReDoc 2, as FastAPI's CDN URLs name them).
Each page also says so to the browser (`Content-Security-Policy`): it may load, connect to and
run only what this server sends, so that nothing on it reaches another host, ReDoc's "API docs
by Redocly" logo included (the one picture its bundle names by an absolute URL).
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
ASSETS_URL = "/docs/assets"
# The package's files: swagger-ui-bundle.js, swagger-ui.css, redoc.standalone.js, favicon.png.
ASSETS = Path(fastapi_offline.__file__).parent / "static"
# Swagger UI and ReDoc set styles inline; ReDoc's search runs in a worker made from a blob.
POLICY = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'none'"
)
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def install(app: FastAPI) -> None:
    """Serve /docs, its OAuth2 redirect, /redoc and their assets (the app's docs_url is None)."""
    openapi_url, redirect_url = app.openapi_url, app.swagger_ui_oauth2_redirect_url
    if openapi_url is None or redirect_url is None:
        raise RuntimeError("the API's pages need openapi_url and swagger_ui_oauth2_redirect_url")

    async def swagger_ui(request: Request) -> HTMLResponse:
        root = _root_path(request)
        page = get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            oauth2_redirect_url=root + redirect_url,
            init_oauth=app.swagger_ui_init_oauth,
            swagger_ui_parameters=app.swagger_ui_parameters,
        )
        return _confined(page)

    async def swagger_ui_redirect(request: Request) -> HTMLResponse:
        return _confined(get_swagger_ui_oauth2_redirect_html())

    async def redoc(request: Request) -> HTMLResponse:
        root = _root_path(request)
        page = get_redoc_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )
        return _confined(page)

    app.add_route(DOCS_URL, swagger_ui, include_in_schema=False)
    app.add_route(redirect_url, swagger_ui_redirect, include_in_schema=False)
    app.add_route(REDOC_URL, redoc, include_in_schema=False)
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS), name="docs-assets")


def _confined(page: HTMLResponse) -> HTMLResponse:
    """The page with its policy: scripts from this server, and the page's own inline ones.

    Each inline script is allowed by its hash, not by 'unsafe-inline': the pages are built per
    request (the root path, the OAuth2 settings), so the hashes are taken from what was built.
    """
    body = bytes(page.body).decode()
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in INLINE_SCRIPT.findall(body)
    )
    page.headers["Content-Security-Policy"] = f"{POLICY}; script-src 'self' {hashes}".rstrip()
    page.headers["X-Content-Type-Options"] = "nosniff"
    return page


def _root_path(request: Request) -> str:
    # Behind a proxy that serves the app under a prefix, as FastAPI's own pages do.
    return str(request.scope.get("root_path", "")).rstrip("/")
