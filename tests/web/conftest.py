"""Fixtures of the browser tests: Debian's Chromium driven by Playwright, host stands signed in.

Browser downloads are impossible here, so Playwright drives /usr/bin/chromium (`apt-get install
chromium`). Without it these tests skip, or fail under HOSTSTAND_TEST_REQUIRE_SERVICES=1 (CI).
Most run on SQLite only (`web_server`): the page is their subject. The two-stand sync and the
seating race run on every database (the shared `server` fixture): they cost a few seconds each.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    Request,
    Route,
    WebSocket,
    WebSocketRoute,
    async_playwright,
    expect,
)

from tests.conftest import Api, Backend, Restaurant, service_missing
from tests.servers import ThreadServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IPAD_LANDSCAPE = {"width": 1180, "height": 820}
SYNC_TIMEOUT_MS = 2_000  # the bar: a change shows on the other devices within 2 s
REALTIME = re.compile(r"/realtime(\?|$)")
NETWORK_NOTES = re.compile(r"Failed to load resource|WebSocket connection to .* failed")


@pytest.fixture(scope="session")
def chromium() -> str:
    """The path of Debian's Chromium, or a skip (a failure in CI) saying how to get it."""
    if not CHROMIUM.exists():
        service_missing(
            "browser tests need Debian's Chromium at /usr/bin/chromium (apt-get install chromium)"
        )
    return str(CHROMIUM)


@pytest.fixture(scope="session")
async def browser(chromium: str) -> AsyncIterator[Browser]:
    """One headless Chromium for the whole run; each host stand gets its own context."""
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest.fixture(scope="session")
def web_server(sqlite_backend: Backend) -> Iterator[ThreadServer]:
    """A real server on SQLite, shared by the browser tests."""
    server = ThreadServer(sqlite_backend.settings()).start()
    yield server
    server.stop()


@pytest.fixture
async def web_api(web_server: ThreadServer) -> AsyncIterator[Api]:
    """An admin client of the browser tests' server."""
    client = Api(web_server.base_url)
    yield client
    await client.close()


@pytest.fixture
async def bistro(web_api: Api) -> Restaurant:
    """A fresh restaurant for one test."""
    return await web_api.restaurant("Bistro Lumière")


class PageHook(Protocol):
    """Something to install in a page before it loads (e.g. a route of its socket)."""

    async def install(self, page: Page) -> None:
        """Install it."""


class Gate:
    """Holds what the server sends to a page's socket while closed: the page falls behind."""

    def __init__(self) -> None:
        self.closed = False
        self.held: list[tuple[WebSocketRoute, str | bytes]] = []

    async def install(self, page: Page) -> None:
        """Route the page's /realtime through this gate (before the page opens it)."""

        def handler(route: WebSocketRoute) -> None:
            server = route.connect_to_server()
            server.on_message(lambda message: self.pass_on(route, message))

        await page.route_web_socket(REALTIME, handler)

    def pass_on(self, route: WebSocketRoute, message: str | bytes) -> None:
        """Deliver a message now, or hold it while the gate is closed."""
        if self.closed:
            self.held.append((route, message))
        else:
            route.send(message)

    def open(self) -> None:
        """Let everything held through, in order."""
        self.closed = False
        held, self.held = self.held, []
        for route, message in held:
            route.send(message)


@pytest.fixture(scope="session")
def database_down_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadServer]:
    """A real server whose SQLite file cannot be opened: it answers 503 database_unavailable."""
    missing = tmp_path_factory.mktemp("outage") / "no-such-directory" / "hoststand.db"
    backend = Backend("sqlite-unreachable", f"sqlite+aiosqlite:///{missing}")
    server = ThreadServer(backend.settings()).start()
    yield server
    server.stop()


class DatabaseDown:
    """While `down`, a page's API requests that `hit` are answered by a server with no database.

    The answer is that server's own (its 503, body and Retry-After), to the same request.
    """

    def __init__(self, server: ThreadServer, hit: Callable[[Request], bool] = lambda _: True):
        self.server = server
        self.hit = hit
        self.down = False

    async def install(self, page: Page) -> None:
        """Route the page's API requests through the outage (before the page loads)."""

        async def handler(route: Route) -> None:
            request = route.request
            if not (self.down and self.hit(request)):
                await route.continue_()
                return
            path = request.url.split("/", 3)[3]
            await route.fulfill(response=await route.fetch(url=f"{self.server.base_url}/{path}"))

        await page.route("**/api/v1/**", handler)


@dataclass
class HostStand:
    """One browser tab on the host-stand page."""

    page: Page
    errors: list[str] = field(default_factory=list)
    frames: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    @property
    def connection(self) -> Locator:
        """The live / reconnecting badge."""
        return self.page.locator("#connection")

    def waitlist_entry(self, name: str) -> Locator:
        """A guest's row on the waitlist."""
        return self.page.locator("#waitlist li.guest").filter(
            has=self.page.locator(".guest-name", has_text=re.compile(f"^{re.escape(name)}$"))
        )

    def reservation_entry(self, name: str) -> Locator:
        """A guest's row among today's reservations."""
        return self.page.locator("#reservations li.guest").filter(
            has=self.page.locator(".guest-name", has_text=re.compile(f"^{re.escape(name)}$"))
        )

    @property
    def booking(self) -> Locator:
        """The "Add a reservation" dialog."""
        return self.page.locator("#booking")

    @property
    def editing(self) -> Locator:
        """The dialog that edits a guest."""
        return self.page.locator("#editing")

    def table(self, label: str) -> Locator:
        """A table's tile on the floor."""
        return self.page.get_by_role("group", name=re.compile(rf"^Table {re.escape(label)},"))

    def button(self, name: str) -> Locator:
        """A button by its accessible name."""
        return self.page.get_by_role("button", name=name, exact=True)

    @property
    def refusal(self) -> Locator:
        """The words of the refusals shown to the host (announced as alerts)."""
        return self.page.get_by_role("alert").locator("p")

    @property
    def confirmation(self) -> Locator:
        """The words of the confirmations shown to the host."""
        return self.page.locator(".notice.info p")

    async def sign_in(self, token: str) -> None:
        """Sign in with a token and wait until the page is live."""
        await self.page.get_by_label("Access token").fill(token)
        await self.page.get_by_role("button", name="Sign in").click()
        await expect(self.connection).to_have_text("Live")

    async def add_walk_in(
        self, name: str, party_size: int = 2, *, quote: int | None = None, phone: str = ""
    ) -> None:
        """Fill in and send the walk-in form."""
        form = self.page.locator("#walk-in-form")
        await form.get_by_label("Name").fill(name)
        await form.get_by_label("Party size").fill(str(party_size))
        await form.get_by_label("Quote (minutes)").fill("" if quote is None else str(quote))
        await form.get_by_label("Phone").fill(phone)
        await form.get_by_role("button", name="Add to waitlist").click()

    async def start_booking(self, name: str, party_size: int, when: str) -> None:
        """Open the reservation form and fill in who, how many and when; send nothing."""
        await self.button("Add a reservation…").click()
        form = self.booking
        await form.get_by_label("Name").fill(name)
        await form.get_by_label("Party size").fill(str(party_size))
        await form.get_by_label("Date and time").fill(when)

    async def book(
        self,
        name: str,
        party_size: int,
        when: str,
        *,
        table: str | None = None,
        phone: str = "",
        notes: str = "",
    ) -> None:
        """Fill in and send the reservation form (`when`: on the restaurant's clocks)."""
        await self.start_booking(name, party_size, when)
        form = self.booking
        await form.get_by_label("Phone").fill(phone)
        await form.get_by_label("Hold table").select_option(label=table or "No table")
        await form.get_by_label("Notes").fill(notes)
        await form.get_by_role("button", name="Add reservation").click()

    async def seat(self, guest: str, table: str) -> None:
        """Pick a guest, then a table."""
        await self.button(f"Seat {guest}").click()
        await self.button(f"Seat {guest} at table {table}").click()

    def count_requests(self, fragment: str) -> int:
        """How many requests so far had `fragment` in their URL."""
        return sum(fragment in url for url in self.requests)


OpenStand = Callable[..., Awaitable[HostStand]]


def _record(page: Page, stand: HostStand) -> None:
    page.on("pageerror", lambda error: stand.errors.append(str(error)))

    # What the browser itself reports (a CSP violation, a failed module import) counts too;
    # its notes on refused requests and dropped sockets are what some tests are about.
    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not NETWORK_NOTES.match(message.text):
            stand.errors.append(message.text)

    page.on("console", on_console)
    page.on("request", lambda request: stand.requests.append(request.url))

    def on_socket(socket: WebSocket) -> None:
        socket.on("framereceived", lambda payload: stand.frames.append(str(payload)))

    page.on("websocket", on_socket)


@pytest.fixture
async def open_stand(browser: Browser) -> AsyncIterator[OpenStand]:
    """Open host stands in their own browser contexts (own session storage), iPad-sized."""
    contexts: list[tuple[BrowserContext, HostStand]] = []

    async def open_one(
        base_url: str, token: str | None = None, *, hook: PageHook | None = None, **options: Any
    ) -> HostStand:
        options = {"viewport": IPAD_LANDSCAPE, **options}
        context = await browser.new_context(base_url=base_url, **options)
        page = await context.new_page()
        stand = HostStand(page)
        contexts.append((context, stand))
        _record(page, stand)
        if hook is not None:
            await hook.install(page)
        await page.goto("/")
        if token is not None:
            await stand.sign_in(token)
        return stand

    yield open_one
    for context, _ in contexts:
        await context.close()
    errors = [error for _, stand in contexts for error in stand.errors]
    assert not errors, f"the page raised: {errors}"
