"""The API's pages in a browser with no way off this machine: they render, and Authorize works."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, Route, expect

from tests.conftest import Restaurant
from tests.servers import ThreadServer

REDOCLY_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@dataclass
class Offline:
    """A page whose requests to any other host fail, as on a plane; it notes what it tried."""

    page: Page
    elsewhere: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


@pytest.fixture
async def offline(browser: Browser, web_server: ThreadServer) -> AsyncIterator[Offline]:
    """A browser tab that reaches the test server and nothing else."""
    here = urlsplit(web_server.base_url).netloc
    context = await browser.new_context(base_url=web_server.base_url)
    page = await context.new_page()
    tab = Offline(page)

    async def only_here(route: Route) -> None:
        if urlsplit(route.request.url).netloc == here:
            await route.continue_()
        else:
            tab.elsewhere.append(route.request.url)
            await route.abort("internetdisconnected")

    await context.route("**/*", only_here)
    page.on("pageerror", lambda error: tab.errors.append(str(error)))

    def note_error(message: ConsoleMessage) -> None:
        if message.type == "error":
            tab.console_errors.append(message.text)

    page.on("console", note_error)
    yield tab
    await context.close()


async def test_the_docs_page_renders_and_authorizes_with_no_internet(
    offline: Offline, bistro: Restaurant
) -> None:
    page = offline.page
    await page.goto("/docs")
    me = page.locator(".opblock-get", has=page.get_by_text("/api/v1/me", exact=True))
    await expect(me).to_be_visible()
    await expect(page.locator(".opblock-tag-section h3")).to_have_count(6)

    await page.get_by_role("button", name="Authorize").first.click()
    dialog = page.locator(".modal-ux")
    await dialog.get_by_label("auth-bearer-value").fill(bistro.tokens["host"])
    await dialog.get_by_role("button", name="Apply credentials").click()
    await dialog.get_by_role("button", name="Close", exact=True).click()
    await me.locator(".opblock-summary").first.click()
    await me.get_by_role("button", name="Try it out").click()
    await me.get_by_role("button", name="Execute").click()
    answer = me.locator(".live-responses-table td.response-col_status:not(.col_header)")
    await expect(answer).to_have_text("200")
    body = me.locator(".live-responses-table .response-col_description .microlight").first
    await expect(body).to_contain_text('"role": "host"')

    assert offline.elsewhere == [], "the page reached for other hosts"
    assert offline.errors == []
    assert offline.console_errors == []  # the page's policy allowed its own inline script


async def test_the_redoc_page_renders_with_no_internet(offline: Offline) -> None:
    page = offline.page
    await page.goto("/redoc")
    await expect(page.get_by_role("heading", name="hoststand", exact=False).first).to_be_visible()
    await expect(page.get_by_text("/api/v1/me").first).to_be_attached()
    # ReDoc's bundle names its "API docs by Redocly" logo by a fixed URL: the page's policy
    # refuses it before it leaves the machine, and ReDoc drops the picture (its onError).
    await expect(page.get_by_alt_text("redocly logo")).to_have_count(0)
    assert offline.elsewhere == [], "the page reached for other hosts"
    assert offline.errors == []
    assert len(offline.console_errors) == 1, offline.console_errors
    assert REDOCLY_LOGO in offline.console_errors[0]
    assert "Content Security Policy" in offline.console_errors[0]
