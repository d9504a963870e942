"""The server's database out of reach for a moment: the page says so as a host would, keeps what
was typed, and goes on by itself (or with "Try again") once it is back."""

from __future__ import annotations

import pytest
from playwright.async_api import Request, expect

from tests.conftest import Restaurant
from tests.servers import ThreadServer
from tests.web.conftest import DatabaseDown, HostStand, OpenStand
from tests.web.test_actions import _statuses

DATABASE_DOWN = "Could not reach the database: nothing was saved. Try again in a moment."
BACK_LIVE_TIMEOUT_MS = 30_000  # the page's backoff may be several seconds long by then


@pytest.fixture
def outage(database_down_server: ThreadServer) -> DatabaseDown:
    """The page's API requests answered by a server whose database is out of reach, once down."""
    return DatabaseDown(database_down_server)


async def _reopened_while_down(
    stand: HostStand, outage: DatabaseDown, *, paused_clock: bool = False
) -> None:
    """The tab comes back (a reload, a tablet waking) during the outage, and says so.

    With `paused_clock`, the page's timers wait for the test's word: no race with the backoff.
    """
    await outage.install(stand.page)
    if paused_clock:
        await stand.page.clock.install()
    outage.down = True
    await stand.page.reload()
    await expect(stand.connection).to_have_text("Can't reach the database…")


def _writes(request: Request) -> bool:
    return request.method != "GET"


async def test_a_write_the_database_could_not_take_is_said_in_the_hosts_words_and_tried_again(
    web_server: ThreadServer, outage: DatabaseDown, bistro: Restaurant, open_stand: OpenStand
) -> None:
    await bistro.guest("Baker", party_size=4)
    outage.hit = _writes
    stand = await open_stand(web_server.base_url, bistro.tokens["host"], hook=outage)
    page = stand.page
    walk_in = page.locator("#walk-in-form")
    outage.down = True

    # A walk-in: said in its form, which keeps the party to send again.
    await stand.add_walk_in("Ames", 3, phone="+1 415 555 0123")
    await expect(walk_in.get_by_role("alert")).to_have_text(DATABASE_DOWN)
    await expect(walk_in.get_by_label("Name")).to_have_value("Ames")
    await expect(walk_in.get_by_label("Party size")).to_have_value("3")

    # A booking: said in its form too, which stays open with what was typed.
    await stand.start_booking("Dubois", 2, "2030-06-01T19:30")
    await stand.booking.get_by_role("button", name="Add reservation").click()
    await expect(stand.booking.get_by_role("alert")).to_have_text(DATABASE_DOWN)
    await expect(stand.booking.get_by_label("Name")).to_have_value("Dubois")
    await stand.booking.get_by_role("button", name="Close").click()

    # A move: said in a notice that offers to try it again.
    await stand.button("Notify Baker").click()
    await expect(stand.refusal).to_have_text(DATABASE_DOWN)
    assert await _statuses(bistro) == {"Baker": "waiting"}

    outage.down = False
    await page.get_by_role("alert").get_by_role("button", name="Try again").click()
    await expect(stand.waitlist_entry("Baker")).to_contain_text("Notified")
    await expect(stand.refusal).to_have_count(0)
    await walk_in.get_by_role("button", name="Add to waitlist").click()
    await expect(stand.waitlist_entry("Ames")).to_contain_text("party of 3")
    await expect(walk_in.get_by_label("Name")).to_have_value("")
    await expect(walk_in.get_by_role("alert")).to_have_count(0)  # an empty line takes no room
    assert await _statuses(bistro) == {"Baker": "notified", "Ames": "waiting"}


async def test_a_stand_opened_while_the_database_is_down_says_so_and_comes_up_with_its_buttons(
    web_server: ThreadServer, outage: DatabaseDown, bistro: Restaurant, open_stand: OpenStand
) -> None:
    await bistro.guest("Baker", party_size=4)
    stand = await open_stand(web_server.base_url, bistro.tokens["host"])
    page = stand.page
    await _reopened_while_down(stand, outage)
    await expect(stand.connection).to_have_attribute("data-state", "unavailable")
    outage.down = False
    await expect(stand.connection).to_have_text("Live", timeout=BACK_LIVE_TIMEOUT_MS)
    await expect(stand.waitlist_entry("Baker")).to_be_visible()
    # The token's role was asked during the outage too: the host may still act.
    await expect(page.locator("#walk-in-form")).to_be_visible()
    await stand.button("Notify Baker").click()
    await expect(stand.waitlist_entry("Baker")).to_contain_text("Notified")


async def test_a_stand_waits_as_long_as_the_server_asks_before_it_asks_again(
    web_server: ThreadServer, outage: DatabaseDown, bistro: Restaurant, open_stand: OpenStand
) -> None:
    stand = await open_stand(web_server.base_url, bistro.tokens["host"])
    page = stand.page
    await _reopened_while_down(stand, outage, paused_clock=True)
    asked = stand.count_requests("/snapshot")

    # The server said Retry-After: 2. The backoff alone would have tried again by now.
    await page.clock.run_for(1_900)
    assert stand.count_requests("/snapshot") == asked
    outage.down = False
    async with page.expect_request("**/snapshot"):
        await page.clock.run_for(200)
    await expect(stand.connection).to_have_text("Live")


async def test_a_viewers_stand_opened_while_the_database_is_down_offers_no_walk_in_form(
    web_server: ThreadServer, outage: DatabaseDown, bistro: Restaurant, open_stand: OpenStand
) -> None:
    stand = await open_stand(web_server.base_url, bistro.tokens["viewer"])
    page = stand.page
    await _reopened_while_down(stand, outage)
    await expect(page.locator("#walk-in-form")).to_be_hidden()  # its role is not known yet
    outage.down = False
    await expect(stand.connection).to_have_text("Live", timeout=BACK_LIVE_TIMEOUT_MS)
    await expect(page.locator("#summary")).to_contain_text("view only")
    await expect(page.locator("#walk-in-form")).to_be_hidden()


async def test_signing_in_while_the_database_is_down_does_not_blame_the_token(
    web_server: ThreadServer, outage: DatabaseDown, bistro: Restaurant, open_stand: OpenStand
) -> None:
    stand = await open_stand(web_server.base_url, hook=outage)
    page = stand.page
    outage.down = True
    token = page.get_by_label("Access token")
    await token.fill(bistro.tokens["host"])
    await page.get_by_role("button", name="Sign in").click()
    error = page.locator("#signin-error")
    await expect(error).to_have_text("Could not reach the database. Try again in a moment.")
    await token.press("End")
    await token.press_sequentially(" ")  # an edit of the token does not answer an outage
    await expect(error).to_have_text("Could not reach the database. Try again in a moment.")

    outage.down = False
    await page.get_by_role("button", name="Sign in").click()
    await expect(stand.connection).to_have_text("Live")
