"""The API's pages (/docs, /redoc) load every script, stylesheet and icon from this server."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator, Iterator
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from tests.conftest import Backend
from tests.servers import ThreadServer

# What each kind of reference must be served as.
CONTENT_TYPES = {
    "script": re.compile(r"^(text|application)/javascript\b"),
    "stylesheet": re.compile(r"^text/css\b"),
    "icon": re.compile(r"^image/"),
}


class References(HTMLParser):
    """The URLs a page makes the browser load: script sources, stylesheets and icons."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Note a <script src> or a <link href> of a stylesheet or an icon."""
        values = dict(attrs)
        rel = (values.get("rel") or "").split()
        if tag == "script" and values.get("src"):
            self.found.append(("script", str(values["src"])))
        elif tag == "link" and values.get("href"):
            kind = "stylesheet" if "stylesheet" in rel else "icon" if "icon" in rel else tag
            self.found.append((kind, str(values["href"])))


@pytest.fixture(scope="module")
def docs_server(sqlite_backend: Backend) -> Iterator[ThreadServer]:
    """A real server: the pages need no database, one is enough."""
    server = ThreadServer(sqlite_backend.settings()).start()
    yield server
    server.stop()


@pytest.fixture
async def stranger(docs_server: ThreadServer) -> AsyncIterator[httpx.AsyncClient]:
    """A client with no token: the pages are open."""
    async with httpx.AsyncClient(base_url=docs_server.base_url, timeout=30) as client:
        yield client


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_the_api_pages_load_their_scripts_and_styles_from_this_server(
    docs_server: ThreadServer, stranger: httpx.AsyncClient, page: str
) -> None:
    response = await stranger.get(page)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert not re.search(r"(https?:)?//[\w.-]", response.text), "an absolute URL on the page"
    parser = References()
    parser.feed(response.text)
    kinds = {kind for kind, _ in parser.found}
    assert kinds >= ({"script", "stylesheet", "icon"} if page == "/docs" else {"script", "icon"})
    origin = urlsplit(docs_server.base_url).netloc
    for kind, reference in parser.found:
        url = urljoin(f"{docs_server.base_url}{page}", reference)
        assert urlsplit(url).netloc == origin, (page, reference)
        asset = await stranger.get(url)
        assert asset.status_code == 200, (reference, asset.status_code)
        assert CONTENT_TYPES[kind].match(asset.headers["content-type"]), (reference, asset.headers)
        assert len(asset.content) > 1000, reference  # the file itself, not an error page


async def test_the_docs_page_keeps_its_oauth2_redirect(stranger: httpx.AsyncClient) -> None:
    page = await stranger.get("/docs")
    assert "oauth2RedirectUrl: window.location.origin + '/docs/oauth2-redirect'" in page.text
    redirect = await stranger.get("/docs/oauth2-redirect")
    assert redirect.status_code == 200
    assert "oauth2" in redirect.text


@pytest.mark.parametrize("page", ["/docs", "/docs/oauth2-redirect", "/redoc"])
async def test_the_api_pages_tell_the_browser_to_run_and_load_only_what_this_server_sent(
    stranger: httpx.AsyncClient, page: str
) -> None:
    response = await stranger.get(page)
    assert response.status_code == 200
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response.headers["content-security-policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["img-src"] == "'self' data:"
    assert policy["connect-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    # Inline scripts run by their hash alone: the page's own, as it was sent.
    sources = policy["script-src"].split()
    assert sources[0] == "'self'"
    assert "'unsafe-inline'" not in sources
    inline = re.findall(r"<script>(.*?)</script>", response.text, re.DOTALL)
    assert len(inline) == (0 if page == "/redoc" else 1)
    assert sources[1:] == [
        f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
        for script in inline
    ]
    assert response.headers["x-content-type-options"] == "nosniff"
