"""The stand as it looks on an iPad, both ways round, and on a laptop: nothing cut off or on top."""

from __future__ import annotations

import pytest
from playwright.async_api import FloatRect, Locator, expect

from tests.conftest import Api, Restaurant
from tests.servers import ThreadServer
from tests.web.conftest import DatabaseDown, OpenStand
from tests.web.test_sync_recovery import Tamper


async def _box(locator: Locator) -> FloatRect:
    box = await locator.bounding_box()
    assert box is not None, f"{locator} is not on screen"
    return box


# The boxes of the floor's tiles by label, found and measured in one task of the page: the page
# redraws the floor whole (a new tile each time, as when GET /me answers after "Live"), and a
# tile a locator found may be replaced before it is measured (detached, it has no box).
TILE_BOXES = """(labels) => labels.map((label) => {
    const tile = [...document.querySelectorAll("#floor .tile")].find(
        (t) => t.getAttribute("aria-label").startsWith(`Table ${label},`));
    const r = tile.getBoundingClientRect();
    return {x: r.x, y: r.y, width: r.width, height: r.height};
})"""


async def test_the_floor_follows_the_plan_of_each_section(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    for label, x, y in (("1", 1, 1), ("2", 2, 1), ("3", 1, 2), ("4", 4, 2)):
        await bistro.table(label, capacity=4, section="Main", x=x, y=y)
    stand = await open_stand(web_server.base_url, bistro.tokens["host"])

    one, two, three, four = await stand.page.evaluate(TILE_BOXES, list("1234"))
    assert three["y"] > one["y"] + one["height"], "table 3 stands behind table 1"
    assert three["x"] == one["x"], "table 3 stands behind table 1"
    assert two["x"] > one["x"] + one["width"]
    assert two["y"] == one["y"]
    assert four["y"] == three["y"]
    assert four["x"] > two["x"] + two["width"], "a gap where x=3 has no table"


LONG_NAME = "Featherstonehaugh-Wolfeschlegelsteinhausenbergerdorff"
UNBROKEN = "Supercalifragilisticexpialidociouswithoutanyspacesatall"
VIEWPORTS = {
    "iPad landscape": {"width": 1180, "height": 820},
    "iPad portrait": {"width": 820, "height": 1180},
    "laptop": {"width": 1440, "height": 900},
}
# Every element must stay inside the nearest of these boxes, and boxes side by side apart.
POKING_OUT = """() => {
    const boxes =
        ".tile, .guest, .card, .seating-banner, .notice, .topbar, .queue, .floor, .dialog";
    const out = [];
    for (const element of document.querySelectorAll("body *")) {
        if (!element.checkVisibility() || element.matches(".visually-hidden")) continue;
        const box = element.parentElement.closest(boxes);
        if (!box) continue;
        const inner = element.getBoundingClientRect(), outer = box.getBoundingClientRect();
        if (inner.left < outer.left - 1 || inner.right > outer.right + 1) {
            out.push(`${element.className || element.tagName} pokes out of ${box.className}`);
        }
    }
    const queue = document.querySelector(".queue").getBoundingClientRect();
    const floor = document.querySelector(".floor").getBoundingClientRect();
    const apart = queue.right <= floor.left || queue.bottom <= floor.top;
    if (!apart) out.push("the waitlist lies over the floor");
    if (document.documentElement.scrollWidth > innerWidth) out.push("the page scrolls sideways");
    return out;
}"""
# A tap in the middle of each button lands on that button, not on something drawn over it.
COVERED = """() => [...document.querySelectorAll("button")]
    .filter((button) => button.checkVisibility())
    .filter((button) => {
        button.scrollIntoView({ block: "center" });
        const r = button.getBoundingClientRect();
        const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
        return !button.contains(hit);
    })
    .map((button) => button.getAttribute("aria-label") || button.textContent)"""


@pytest.mark.parametrize("device", VIEWPORTS)
async def test_long_names_wrap_inside_their_row_and_tile(
    web_server: ThreadServer, web_api: Api, open_stand: OpenStand, device: str
) -> None:
    place = await web_api.restaurant("Brasserie du Grand Boulevard et de la Gare Saint-Lazare")
    section = "Main dining room by the fireplace"
    tables = [await place.table(label, capacity=4, section=section) for label in ("1", "2", "3")]
    seated = await place.guest(f"{LONG_NAME} Jr", party_size=4)
    path = f"{place.path}/tables/{tables[0]['id']}/assign"
    await place.api.ok("POST", path, json={"guest_id": seated["id"]})
    await place.guest(UNBROKEN, party_size=2, notes=UNBROKEN * 2, tags=[UNBROKEN[:40]])
    stand = await open_stand(web_server.base_url, place.tokens["host"], viewport=VIEWPORTS[device])
    page = stand.page
    await expect(stand.table("1")).to_contain_text(LONG_NAME)

    assert await page.evaluate(POKING_OUT) == []
    await stand.button(f"Seat {UNBROKEN}").click()
    await expect(stand.button(f"Seat {UNBROKEN} at table 3")).to_be_visible()
    assert await page.evaluate(POKING_OUT) == []
    assert await page.evaluate(COVERED) == []
    await stand.button(f"Seat {UNBROKEN} at table 3").click()
    await expect(stand.table("3")).to_contain_text(UNBROKEN)
    assert await page.evaluate(POKING_OUT) == []


async def _in_view(locator: Locator) -> bool:
    """True when the whole element can be seen in the window, not scrolled away."""
    return bool(
        await locator.evaluate(
            """(element) => {
                const r = element.getBoundingClientRect();
                const across = r.left >= 0 && r.right <= innerWidth;
                return across && r.top >= 0 && r.bottom <= innerHeight;
            }"""
        )
    )


@pytest.mark.parametrize("device", VIEWPORTS)
async def test_the_floor_stays_in_reach_with_forty_parties_waiting(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand, device: str
) -> None:
    for label in ("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"):
        await bistro.table(label, capacity=4, section="Main" if len(label) == 1 else "Patio")
    for n in range(1, 41):
        await bistro.guest(f"Party {n:02d}", party_size=2, quoted_wait_minutes=n)
    stand = await open_stand(web_server.base_url, bistro.tokens["host"], viewport=VIEWPORTS[device])

    for party in ("Party 40", "Party 01", "Party 40"):
        await stand.button(f"Seat {party}").scroll_into_view_if_needed()
        assert await _in_view(stand.button(f"Seat {party}"))
        assert await _in_view(stand.table("12")), f"the floor is out of reach of {party}"
    await stand.waitlist_entry("Party 40").drag_to(stand.table("12"))
    await expect(stand.table("12")).to_contain_text("Party 40")
    assert await _in_view(stand.waitlist_entry("Party 39")), "the waitlist jumped away"
    assert await _in_view(stand.table("12"))


# A waitlist row's height, and each of its buttons' line and width, and the look of its Seat
# button. Found and measured in one task of the page: the page redraws its lists whole (a new
# row each time), and a row found by a locator may be replaced before it is measured (detached,
# it measures 0).
ROW_SHAPE = """(name) => {
    const row = [...document.querySelectorAll("#waitlist li.guest")].find(
        (li) => li.querySelector(".guest-name")?.textContent.trim() === name);
    const top = row.getBoundingClientRect().top;
    const buttons = [...row.querySelectorAll(".actions button")];
    const seat = buttons.find((b) => b.getAttribute("aria-label") === `Seat ${name}`);
    return [
        row.getBoundingClientRect().height,
        buttons.map((button) => {
            const r = button.getBoundingClientRect();
            return [button.getAttribute("aria-label"), r.top - top, r.width];
        }),
        getComputedStyle(seat).backgroundColor,
    ];
}"""


@pytest.mark.parametrize("device", VIEWPORTS)
async def test_choosing_a_table_for_a_guest_keeps_their_row_as_it_was(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand, device: str
) -> None:
    await bistro.table("1", capacity=4)
    await bistro.guest("Ames", party_size=2)
    stand = await open_stand(web_server.base_url, bistro.tokens["host"], viewport=VIEWPORTS[device])
    seat = stand.button("Seat Ames")
    # The row's buttons come once the page has learnt the token's role (GET /me), which "Live"
    # does not wait for: measured before, the row has none.
    await expect(seat).to_be_visible()
    height, buttons, idle = await stand.page.evaluate(ROW_SHAPE, "Ames")
    assert len(buttons) == 5
    assert len({top for _, top, _ in buttons}) == 1, f"the buttons take two lines: {buttons}"

    await seat.click()
    await expect(seat).to_have_attribute("aria-pressed", "true")
    await expect(stand.button("Seat Ames at table 1")).to_be_visible()
    *shape, chosen = await stand.page.evaluate(ROW_SHAPE, "Ames")
    assert shape == [height, buttons]
    assert chosen != idle, "the chosen guest's Seat button looks as it did"


@pytest.mark.parametrize("device", VIEWPORTS)
async def test_notices_leave_every_table_and_guest_in_reach_of_a_tap(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand, device: str
) -> None:
    for n in range(1, 36):  # full rows at every size: the last row lies at the floor's bottom
        await bistro.table(str(n), capacity=4)
    for name in ("Ames", "Baker", "Castillo", "Drago"):
        await bistro.guest(name, party_size=2)
    stand = await open_stand(web_server.base_url, bistro.tokens["host"], viewport=VIEWPORTS[device])
    for name in ("Ames", "Baker", "Castillo"):
        await stand.button(f"Notify {name}").click()
        await expect(stand.confirmation.filter(has_text=f"{name} notified.")).to_be_visible()
    await stand.button("Seat Drago").click()
    await expect(stand.button("Seat Drago at table 35")).to_be_visible()

    await expect(stand.page.locator(".notice")).to_have_count(3)
    assert await stand.page.evaluate(COVERED) == []
    for notice in await stand.page.locator(".notice").all():
        assert await _in_view(notice), "a notice is out of sight"
    await expect(stand.page.get_by_role("status").filter(has_text="Ames notified.")).to_be_visible()


@pytest.mark.parametrize("device", VIEWPORTS)
async def test_the_booking_and_edit_forms_fit_the_window_with_long_words(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand, device: str
) -> None:
    await bistro.table(UNBROKEN[:50], capacity=4)
    guest = await bistro.guest(LONG_NAME, party_size=2)
    stand = await open_stand(web_server.base_url, bistro.tokens["host"], viewport=VIEWPORTS[device])
    page = stand.page

    await stand.button("Add a reservation…").click()
    await stand.booking.get_by_label("Name").fill(LONG_NAME)
    await stand.booking.get_by_label("Notes").fill(UNBROKEN * 3)
    await stand.booking.get_by_label("Hold table").select_option(label=f"{UNBROKEN[:50]} · 4 seats")
    assert await page.evaluate(POKING_OUT) == []
    assert await _in_view(stand.booking)
    await stand.booking.get_by_role("button", name="Close").click()

    await stand.button(f"Edit {LONG_NAME}").click()
    await stand.editing.get_by_label("Party size").fill("3")
    await stand.editing.get_by_label("Notes").fill("Quiet table")  # the note quotes theirs
    change = {"party_size": 4, "notes": UNBROKEN * 3, "tags": [UNBROKEN[:40]]}
    await bistro.api.ok("PATCH", f"{bistro.path}/guests/{guest['id']}", json=change)
    await expect(stand.editing.locator(".field-note:visible")).to_have_count(3)
    assert await page.evaluate(POKING_OUT) == []
    save = stand.editing.get_by_role("button", name="Save changes")
    await save.scroll_into_view_if_needed()
    assert await _in_view(save)


# Each form field's text and its example (placeholder): colour and weight.
FIELD_LOOKS = """(form) => [...form.querySelectorAll("input[placeholder]:not([type=hidden])")]
    .filter((input) => input.checkVisibility())
    .map((input) => {
        const typed = getComputedStyle(input), example = getComputedStyle(input, "::placeholder");
        return [input.name, typed.color, typed.fontWeight, example.color, example.fontWeight];
    })"""


async def test_an_example_in_a_field_never_looks_like_a_guests_details(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    await bistro.guest("Okafor", party_size=4)
    stand = await open_stand(web_server.base_url, bistro.tokens["host"])
    await stand.button("Edit Okafor").click()
    form = stand.editing

    looks = await form.locator("form").evaluate(FIELD_LOOKS)
    assert {name for name, *_ in looks} == {"phone", "tags"}
    for name, typed, weight, example, example_weight in looks:
        assert typed != example, f"{name}: its example is drawn like a value"
        assert weight == example_weight == "400", f"{name}: {weight}/{example_weight}"
    # "Cancel" on a host stand cancels a party: the form's way out says what it does.
    await expect(form.get_by_role("button", name="Cancel")).to_have_count(0)
    await form.get_by_role("button", name="Close").click()
    await expect(form).to_be_hidden()


PHONE = {"width": 375, "height": 667}
# The top bar's parts: each whole in the window, and a tap in the middle lands on it.
TOP_BAR_OUT = """() => [...document.querySelectorAll(".topbar > *, .title > *")]
    .filter((part) => part.checkVisibility())
    .filter((part) => {
        const r = part.getBoundingClientRect();
        const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
        return r.left < 0 || r.right > innerWidth || !part.contains(hit);
    })
    .map((part) => part.id || part.className)"""


@pytest.mark.parametrize("name", ["Bistro Lumière", LONG_NAME])
async def test_the_top_bar_fits_a_phone_and_keeps_every_control_in_reach(
    web_server: ThreadServer, web_api: Api, open_stand: OpenStand, name: str
) -> None:
    place = await web_api.restaurant(name)
    table = await place.table("12", capacity=4)
    seated = await place.guest("Ames", party_size=2)
    await place.api.ok(
        "POST", f"{place.path}/tables/{table['id']}/assign", json={"guest_id": seated["id"]}
    )
    await place.guest("Baker", party_size=4)
    stand = await open_stand(web_server.base_url, place.tokens["host"], viewport=PHONE)
    page = stand.page
    await expect(stand.table("12")).to_contain_text("Ames")

    assert await page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    assert await page.evaluate(POKING_OUT) == []
    assert await page.evaluate(TOP_BAR_OUT) == []
    # The name wraps between words, not a letter a line; the bar leaves the stand the screen.
    assert (await _box(page.locator("#restaurant-name")))["width"] > PHONE["width"] / 3
    assert (await _box(page.locator(".topbar")))["height"] < PHONE["height"] / 4
    await expect(stand.connection).to_have_text("Live")
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_label("Access token")).to_be_visible()


# How many lines the summary's text takes, and whether any of it is cut off.
SUMMARY_LINES = """() => {
    const summary = document.getElementById("summary");
    const text = document.createRange();
    text.selectNodeContents(summary);
    const lines = new Set([...text.getClientRects()].map((line) => Math.round(line.top)));
    return [lines.size, summary.scrollWidth > summary.clientWidth];
}"""
WHOLE = "(element) => element.scrollWidth <= element.clientWidth"


async def test_on_a_phone_the_summary_keeps_its_line_beside_the_long_database_badge(
    web_server: ThreadServer,
    database_down_server: ThreadServer,
    bistro: Restaurant,
    open_stand: OpenStand,
) -> None:
    for n in range(1, 13):
        await bistro.table(str(n), capacity=4)
    for name in ("Ames", "Baker", "Castillo"):
        await bistro.guest(name, party_size=2)
    tamper = Tamper()
    stand = await open_stand(
        web_server.base_url, bistro.tokens["host"], viewport=PHONE, hook=tamper
    )
    page = stand.page
    summary = page.locator("#summary")
    await expect(summary).to_have_text("3 waiting · 12 of 12 tables free")
    assert await page.evaluate(SUMMARY_LINES) == [1, False]

    # The database goes out of reach as the server asks for a resync: the stand keeps what it
    # shows, and its badge says why nothing new comes.
    outage = DatabaseDown(database_down_server)
    await outage.install(page)
    outage.down = True
    tamper.next_event = "resync"
    await bistro.guest("Drago", party_size=2)
    await expect(stand.connection).to_have_text("Can't reach the database…")
    await expect(summary).to_have_text("3 waiting · 12 of 12 tables free")
    assert await page.evaluate(SUMMARY_LINES) == [1, False], "the badge squeezes the summary"
    assert await stand.connection.evaluate(WHOLE), "the badge's words are cut off"
    assert await page.evaluate(TOP_BAR_OUT) == []
    assert await page.evaluate(POKING_OUT) == []
    assert (await _box(page.locator(".topbar")))["height"] < PHONE["height"] / 4
