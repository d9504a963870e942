"""A host with a keyboard alone can do the main things, and every control says what it does."""

from __future__ import annotations

from playwright.async_api import Locator, Page, expect

from tests.conftest import Restaurant
from tests.servers import ThreadServer
from tests.web.conftest import OpenStand

MAX_TABS = 80
BOOKING_FIELDS = (
    "Name",
    "Party size",
    "Date and time",
    "Stay (minutes)",
    "Phone",
    "Hold table",
    "Tags",
    "Notes",
)
# The visible controls without a name a screen reader can say.
UNNAMED = """() => [...document.querySelectorAll("button, input, select, textarea")]
    .filter((el) => el.checkVisibility())
    .filter((el) => el.tagName === "BUTTON"
        ? !(el.getAttribute("aria-label") || el.textContent.trim())
        : el.labels.length === 0)
    .map((el) => el.outerHTML)"""


async def tab_to(page: Page, target: Locator) -> None:
    """Press Tab until `target` has the focus; fail if it is not in the tab order."""
    # Found and checked in one query of the page: the page redraws its lists whole, and a row's
    # button found first and checked after a redraw would be a detached one, never focused.
    focused = target.and_(page.locator(":focus"))
    for _ in range(MAX_TABS):
        if await focused.count():
            return
        await page.keyboard.press("Tab")
    raise AssertionError(f"{target} cannot be reached with Tab")


async def test_sign_in_add_seat_release_and_clean_with_the_keyboard_alone(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    await bistro.table("3", capacity=4)
    stand = await open_stand(web_server.base_url)
    page = stand.page

    await expect(page.get_by_label("Access token")).to_be_focused()
    await page.keyboard.type(bistro.tokens["host"])
    await page.keyboard.press("Enter")
    await expect(stand.connection).to_have_text("Live")

    await tab_to(page, page.locator("#walk-in-form").get_by_label("Name"))
    await page.keyboard.type("Keyes")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Control+A")
    await page.keyboard.type("3")
    await page.keyboard.press("Tab")
    await page.keyboard.type("+1 415 555 0199")
    await page.keyboard.press("Tab")
    await page.keyboard.type("10")
    await page.keyboard.press("Enter")
    await expect(stand.waitlist_entry("Keyes")).to_contain_text("party of 3")
    await expect(stand.waitlist_entry("Keyes")).to_contain_text("of 10 min")
    await expect(stand.waitlist_entry("Keyes")).to_contain_text("+14155550199")

    await tab_to(page, stand.button("Notify Keyes"))
    await page.keyboard.press("Enter")
    await expect(stand.waitlist_entry("Keyes")).to_contain_text("Notified")

    await tab_to(page, stand.button("Seat Keyes"))
    await page.keyboard.press("Enter")
    seat_here = stand.button("Seat Keyes at table 3")
    await expect(seat_here).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(stand.table("3")).to_have_attribute("data-status", "occupied")

    await tab_to(page, stand.button("Release table 3"))
    await page.keyboard.press("Space")
    await expect(stand.table("3")).to_have_attribute("data-status", "dirty")
    await tab_to(page, stand.button("Mark clean: table 3"))
    await page.keyboard.press("Enter")
    await expect(stand.table("3")).to_have_attribute("data-status", "available")


async def test_book_a_reservation_and_edit_a_party_with_the_keyboard_alone(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    await bistro.guest("Ortega", party_size=2)
    stand = await open_stand(web_server.base_url, bistro.tokens["host"])
    page = stand.page
    booking, editing = stand.booking, stand.editing

    await tab_to(page, stand.button("Add a reservation…"))
    await page.keyboard.press("Enter")
    await expect(booking.get_by_label("Name")).to_be_focused()
    await page.keyboard.type("Keyes")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Control+A")
    await page.keyboard.type("3")
    await page.keyboard.press("Enter")  # at the next full hour, as the form suggests
    await expect(booking).to_be_hidden()
    await expect(stand.button("Add a reservation…")).to_be_focused()
    await expect(stand.confirmation).to_contain_text("Keyes booked for")

    await tab_to(page, stand.button("Edit Ortega"))
    await page.keyboard.press("Enter")
    await expect(editing.get_by_label("Name")).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(editing).to_be_hidden()
    await expect(stand.button("Edit Ortega")).to_be_focused()
    await page.keyboard.press("Enter")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Control+A")
    await page.keyboard.type("6")
    await page.keyboard.press("Enter")
    await expect(stand.waitlist_entry("Ortega")).to_contain_text("party of 6")
    await expect(stand.button("Edit Ortega")).to_be_focused()
    snapshot = await bistro.snapshot()
    parties = {guest["name"]: (guest["kind"], guest["party_size"]) for guest in snapshot["guests"]}
    assert parties == {"Ortega": ("walk_in", 6), "Keyes": ("reservation", 3)}


async def test_escape_backs_out_of_choosing_a_table(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    await bistro.table("4", capacity=4)
    await bistro.guest("Ortega", party_size=2)
    stand = await open_stand(web_server.base_url, bistro.tokens["host"])
    page = stand.page

    await tab_to(page, stand.button("Seat Ortega"))
    await page.keyboard.press("Enter")
    banner = page.locator("#seating-banner")
    await expect(banner).to_contain_text("Choose a table for Ortega")
    await page.keyboard.press("Escape")
    await expect(banner).to_be_hidden()
    await expect(stand.button("Seat Ortega at table 4")).to_have_count(0)
    await expect(stand.button("Seat Ortega")).to_be_focused()


async def test_every_control_has_a_label(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    await bistro.table("5", capacity=4)
    await bistro.guest("Quinn", party_size=2, tags=["window"], notes="high chair")
    stand = await open_stand(web_server.base_url, bistro.tokens["host"])
    page = stand.page
    walk_in = page.locator("#walk-in-form")
    for label in ("Name", "Party size", "Quote (minutes)", "Phone"):
        await expect(walk_in.get_by_label(label, exact=True)).to_be_editable()
    for name in (
        "Add to waitlist",
        "Sign out",
        "Seat Quinn",
        "Notify Quinn",
        "Cancel Quinn",
        "Mark Quinn arrived",
        "Mark Quinn as no-show",
    ):
        await expect(stand.button(name)).to_be_visible()
    assert await page.evaluate(UNNAMED) == []

    await stand.button("Add a reservation…").click()
    for label in BOOKING_FIELDS:
        await expect(stand.booking.get_by_label(label, exact=True)).to_be_editable()
    assert await page.evaluate(UNNAMED) == []
    await stand.booking.get_by_role("button", name="Close").click()
    await stand.button("Edit Quinn").click()
    await expect(stand.editing.get_by_label("Quote (minutes)", exact=True)).to_be_editable()
    await expect(stand.editing.get_by_label("Tags", exact=True)).to_have_value("window")
    assert await page.evaluate(UNNAMED) == []


async def test_move_a_party_with_the_keyboard_alone_and_escape_backs_out(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    inside = await bistro.table("3", capacity=4)
    await bistro.table("4", capacity=4)
    keyes = await bistro.guest("Keyes", party_size=2)
    await bistro.client("host").ok(
        "POST", f"{bistro.path}/tables/{inside['id']}/assign", json={"guest_id": keyes["id"]}
    )
    stand = await open_stand(web_server.base_url, bistro.tokens["host"])
    page = stand.page
    banner = page.locator("#seating-banner")

    await tab_to(page, stand.button("Move the party at table 3"))
    await page.keyboard.press("Enter")
    await expect(banner).to_contain_text("Move Keyes, party of 2, from table 3")
    await expect(stand.button("Move Keyes to table 4")).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(banner).to_be_hidden()
    await expect(stand.button("Move Keyes to table 4")).to_have_count(0)
    await expect(stand.button("Move the party at table 3")).to_be_focused()

    await page.keyboard.press("Enter")
    await expect(stand.button("Move Keyes to table 4")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(stand.table("4")).to_have_attribute("data-status", "occupied")
    await expect(stand.table("4")).to_contain_text("Keyes")
    await expect(stand.table("3")).to_have_attribute("data-status", "dirty")
