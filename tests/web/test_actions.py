"""Each action of the host stand does what it says, and refusals come in a host's words."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.async_api import Page, Route, expect

from tests.conflicts.test_reservation_overlap import stamp
from tests.conftest import Api, Backend, Restaurant
from tests.servers import ThreadServer
from tests.waiting import eventually
from tests.web.conftest import Gate, HostStand, OpenStand


async def _statuses(restaurant: Restaurant) -> dict[str, str]:
    snapshot = await restaurant.snapshot()
    return {guest["name"]: guest["status"] for guest in snapshot["guests"]}


async def test_notify_arrive_cancel_undo_and_no_show(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    await bistro.guest("Ames", party_size=2)
    await bistro.guest("Baker", party_size=4)
    stand = await open_stand(web_server.base_url, bistro.tokens["host"])

    await stand.button("Notify Ames").click()
    await expect(stand.waitlist_entry("Ames")).to_contain_text("Notified")
    await stand.button("Mark Ames arrived").click()
    await expect(stand.waitlist_entry("Ames")).to_contain_text("Arrived")

    await stand.button("Cancel Baker").click()
    await expect(stand.waitlist_entry("Baker")).to_have_count(0)
    cancelled = stand.page.locator(".notice.info").filter(has_text="Baker cancelled.")
    await cancelled.get_by_role("button", name="Undo").click()
    await expect(stand.waitlist_entry("Baker")).to_be_visible()
    await stand.button("Mark Baker as no-show").click()
    await expect(stand.waitlist_entry("Baker")).to_have_count(0)

    assert await _statuses(bistro) == {"Ames": "arrived", "Baker": "no_show"}


async def test_an_undo_that_could_not_reach_hoststand_can_be_tried_again(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    await bistro.guest("Baker", party_size=4)
    stand = await open_stand(web_server.base_url, bistro.tokens["host"])
    page = stand.page
    await stand.button("Cancel Baker").click()
    await expect(stand.waitlist_entry("Baker")).to_have_count(0)

    await page.route("**/api/v1/**", lambda route: route.abort(), times=1)
    cancelled = page.locator(".notice.info").filter(has_text="Baker cancelled.")
    await cancelled.get_by_role("button", name="Undo").click()
    await expect(stand.refusal).to_have_text(
        "Can't reach hoststand right now. Check the connection and try again."
    )
    # The Undo was the only way back for Baker, and it is gone: the refusal offers it again.
    await page.get_by_role("alert").get_by_role("button", name="Try again").click()
    await expect(stand.waitlist_entry("Baker")).to_be_visible()
    assert await _statuses(bistro) == {"Baker": "waiting"}


async def test_release_then_mark_clean(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    table = await bistro.table("9", capacity=4)
    guest = await bistro.guest("Castillo", party_size=3)
    await bistro.api.ok(
        "POST", f"{bistro.path}/tables/{table['id']}/assign", json={"guest_id": guest["id"]}
    )
    stand = await open_stand(web_server.base_url, bistro.tokens["host"])
    tile = stand.table("9")
    await expect(tile).to_contain_text("Castillo")
    await expect(tile).to_contain_text("party of 3")
    await expect(tile).to_contain_text("seated 0 min")

    await stand.button("Release table 9").click()
    await expect(tile).to_have_attribute("data-status", "dirty")
    await expect(tile).to_contain_text("Needs cleaning")
    await stand.button("Mark clean: table 9").click()
    await expect(tile).to_have_attribute("data-status", "available")
    assert await _statuses(bistro) == {"Castillo": "completed"}


async def _released_at_a_stand(
    bistro: Restaurant, base_url: str, open_stand: OpenStand
) -> tuple[str, HostStand, dict[str, Any]]:
    """Castillo seated at table 9, then released at a stand: the table's path, the stand, the
    guest."""
    table = await bistro.table("9", capacity=4)
    guest = await bistro.guest("Castillo", party_size=3)
    path = f"{bistro.path}/tables/{table['id']}"
    await bistro.api.ok("POST", f"{path}/assign", json={"guest_id": guest["id"]})
    stand = await open_stand(base_url, bistro.tokens["host"])
    await stand.button("Release table 9").click()
    await expect(stand.table("9")).to_have_attribute("data-status", "dirty")
    return path, stand, guest


async def _undo_the_release(stand: HostStand) -> None:
    released = stand.page.locator(".notice.info").filter(has_text="Table 9 released.")
    await released.get_by_role("button", name="Undo").click()


async def test_a_release_tapped_by_mistake_is_undone_at_both_stands(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    table = await bistro.table("9", capacity=4)
    guest = await bistro.guest("Castillo", party_size=3)
    path = f"{bistro.path}/tables/{table['id']}"
    seated = await bistro.api.ok("POST", f"{path}/assign", json={"guest_id": guest["id"]})
    seated_at = seated["guest"]["seated_at"]
    front = await open_stand(web_server.base_url, bistro.tokens["host"])
    back = await open_stand(web_server.base_url, bistro.tokens["host"])
    await expect(back.table("9")).to_contain_text("Castillo")

    await front.button("Release table 9").click()
    for stand in (front, back):
        await expect(stand.table("9")).to_have_attribute("data-status", "dirty")
    # Timestamps are whole seconds: an undo in the seating's second could not show it kept.
    await eventually(lambda: stamp(datetime.now(UTC)) > seated_at, "the next second")
    await _undo_the_release(front)

    await expect(front.page.locator(".notice.info")).to_contain_text("Castillo is back at table 9.")
    for stand in (front, back):
        tile = stand.table("9")
        await expect(tile).to_have_attribute("data-status", "occupied")
        await expect(tile).to_contain_text("Castillo")
        await expect(tile.locator('[data-clock="seated"]')).to_have_attribute(
            "data-since", seated_at
        )
    now = await bistro.api.ok("GET", f"{bistro.path}/guests/{guest['id']}")
    assert (now["status"], now["seated_at"], now["table_id"]) == ("seated", seated_at, table["id"])


async def test_an_undone_release_that_another_party_beat_is_explained(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    path, stand, _ = await _released_at_a_stand(bistro, web_server.base_url, open_stand)
    # Another host cleans the table and seats the next party there: the undo comes too late.
    cleaned = await bistro.api.ok("PATCH", path, json={"status": "available"})
    other = await bistro.guest("Dunn", party_size=2)
    body = {"guest_id": other["id"]}
    await bistro.api.ok(
        "POST", f"{path}/assign", json=body, headers={"If-Match": f'"{cleaned["version"]}"'}
    )
    await expect(stand.table("9")).to_contain_text("Dunn")

    await _undo_the_release(stand)

    await expect(stand.refusal).to_have_text("Table 9 was just seated by another host.")
    assert await _statuses(bistro) == {"Castillo": "completed", "Dunn": "seated"}


async def test_an_undone_release_after_another_host_cleaned_the_table_can_be_sent_again(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    path, stand, _ = await _released_at_a_stand(bistro, web_server.base_url, open_stand)
    await bistro.api.ok("PATCH", path, json={"status": "available"})
    await expect(stand.table("9")).to_have_attribute("data-status", "available")

    await _undo_the_release(stand)

    await expect(stand.refusal).to_have_text(
        "Castillo not brought back: another host just changed table 9 (available)."
    )
    await stand.page.get_by_role("alert").get_by_role("button", name="Bring back anyway").click()
    await expect(stand.table("9")).to_have_attribute("data-status", "occupied")
    assert await _statuses(bistro) == {"Castillo": "seated"}


async def test_an_undone_release_past_the_window_is_explained(
    sqlite_backend: Backend, open_stand: OpenStand
) -> None:
    strict = ThreadServer(sqlite_backend.settings(reseat_window_minutes=0)).start()
    admin = Api(strict.base_url)
    try:
        bistro = await admin.restaurant("Strict Bistro")
        _, stand, guest = await _released_at_a_stand(bistro, strict.base_url, open_stand)
        left = (await bistro.api.ok("GET", f"{bistro.path}/guests/{guest['id']}"))["completed_at"]
        await eventually(lambda: stamp(datetime.now(UTC)) > left, "the next second")

        await _undo_the_release(stand)

        await expect(stand.refusal).to_have_text(
            "Castillo can no longer be brought back to table 9: the release is too old to undo,"
            " or another party sat there since."
        )
        assert await _statuses(bistro) == {"Castillo": "completed"}
    finally:
        await admin.close()
        strict.stop()


async def test_drag_a_guest_onto_a_table_seats_them(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    await bistro.table("5", capacity=4)
    await bistro.guest("Drago", party_size=2)
    stand = await open_stand(web_server.base_url, bistro.tokens["host"])

    await stand.waitlist_entry("Drago").drag_to(stand.table("5"))
    await expect(stand.table("5")).to_have_attribute("data-status", "occupied")
    await expect(stand.table("5")).to_contain_text("Drago")
    assert await _statuses(bistro) == {"Drago": "seated"}


async def test_a_party_too_large_is_explained_and_can_be_seated_anyway(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    await bistro.table("2", capacity=2)
    await bistro.guest("Eriksen", party_size=6)
    stand = await open_stand(web_server.base_url, bistro.tokens["host"])

    await stand.seat("Eriksen", "2")
    await expect(stand.refusal).to_have_text("A party of 6 does not fit table 2 (2 seats).")
    await expect(stand.table("2")).to_have_attribute("data-status", "available")
    await stand.page.get_by_role("alert").get_by_role("button", name="Seat anyway").click()
    await expect(stand.table("2")).to_have_attribute("data-status", "occupied")


async def test_a_refused_walk_in_says_why_in_its_form_part_by_part_and_keeps_the_party(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    stand = await open_stand(web_server.base_url, bistro.tokens["host"])
    form = stand.page.locator("#walk-in-form")
    error = form.get_by_role("alert")
    phone = "Check the phone number: use the international form, like +1 415 555 0123."
    await stand.add_walk_in("  ", 2, phone="12345")  # blank to the server: it trims the name
    await expect(error).to_have_text(f"Enter the guest's name. {phone}")
    await expect(stand.page.locator(".notice")).to_have_count(0)  # in the form, not at the corner
    await expect(form.get_by_label("Phone")).to_have_value("12345")  # kept, to fix

    # Each sentence goes with an edit of its own field, not of another.
    await form.get_by_label("Quote (minutes)").fill("15")
    await expect(error).to_have_text(f"Enter the guest's name. {phone}")
    await form.get_by_label("Phone").fill("+1 415 555 0123")
    await expect(error).to_have_text("Enter the guest's name.")
    await form.get_by_label("Name").fill("Farouk")
    await expect(error).to_have_count(0)

    await form.get_by_role("button", name="Add to waitlist").click()
    await expect(stand.waitlist_entry("Farouk")).to_contain_text("+14155550123")
    await expect(form.get_by_label("Name")).to_have_value("")


def _midday_zone() -> str:
    """An IANA zone where it is around noon now, so that 'today' has hours left either way.

    UTC itself from 13:00 to 13:59 UTC: Etc/GMT+0 is named "Greenwich Mean Time" by the
    browser, not by its offset as the other Etc/GMT zones are (see _zone_hint's callers).
    """
    offset = (13 - datetime.now(UTC).hour + 12) % 24 - 12
    return f"Etc/GMT{-offset:+d}" if offset else "UTC"  # POSIX sign: Etc/GMT-2 is UTC+2


async def test_reservations_today_are_listed_by_time(
    web_server: ThreadServer, web_api: Any, open_stand: OpenStand
) -> None:
    place = await web_api.restaurant("Midday", timezone=_midday_zone())
    now = datetime.now(UTC).replace(microsecond=0)
    for name, later in (("Late Dinner", 150), ("Early Lunch", 45), ("Tomorrow", 24 * 60)):
        when = (now + timedelta(minutes=later)).isoformat().replace("+00:00", "Z")
        await place.guest(name, party_size=2, kind="reservation", reserved_for=when)
    stand = await open_stand(web_server.base_url, place.tokens["host"])

    names = stand.page.locator("#reservations .guest-name")
    await expect(names).to_have_text(["Early Lunch", "Late Dinner"])
    await expect(stand.reservation_entry("Early Lunch")).to_contain_text("in 45 min")
    await stand.button("Mark Early Lunch arrived").click()
    await expect(stand.waitlist_entry("Early Lunch")).to_contain_text("Arrived")
    await expect(names).to_have_text(["Late Dinner"])


async def test_a_viewer_sees_the_stand_live_but_is_offered_no_changes(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    table = await bistro.table("4", capacity=4)
    seated = await bistro.guest("Gupta", party_size=2)
    await bistro.api.ok(
        "POST", f"{bistro.path}/tables/{table['id']}/assign", json={"guest_id": seated["id"]}
    )
    await bistro.table("5", capacity=4)
    await bistro.guest("Ames", party_size=2)
    stand = await open_stand(web_server.base_url, bistro.tokens["viewer"])
    page = stand.page
    await expect(stand.waitlist_entry("Ames")).to_be_visible()
    await expect(stand.table("4")).to_contain_text("Gupta")
    await expect(page.locator("#summary")).to_contain_text("view only")

    await expect(page.locator("#walk-in-form")).to_be_hidden()
    await expect(page.locator("#stand-view button:visible")).to_have_count(0)
    await expect(page.locator('#stand-view [draggable="true"]')).to_have_count(0)
    await bistro.guest("Baker", party_size=4)  # and it stays live
    await expect(stand.waitlist_entry("Baker")).to_be_visible()
    await expect(page.locator("#stand-view button:visible")).to_have_count(0)


async def test_a_host_is_offered_the_changes_a_viewer_is_not(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    await bistro.guest("Ames", party_size=2)
    stand = await open_stand(web_server.base_url, bistro.tokens["host"])
    await expect(stand.button("Notify Ames")).to_be_visible()
    await expect(stand.page.locator("#walk-in-form")).to_be_visible()
    await expect(stand.page.locator("#summary")).not_to_contain_text("view only")


async def test_sign_in_keeps_the_tab_signed_in_until_sign_out(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    stand = await open_stand(web_server.base_url)
    page = stand.page
    await page.get_by_label("Access token").fill("hs_not_a_real_token_at_all")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#signin-error")).to_have_text(
        "That token is not valid (or it was revoked)."
    )
    await stand.sign_in(bistro.tokens["host"])
    await expect(page.locator("#restaurant-name")).to_have_text("Bistro Lumière")

    await page.reload()
    await expect(stand.connection).to_have_text("Live")
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_label("Access token")).to_be_visible()
    await page.reload()
    await expect(page.get_by_label("Access token")).to_be_visible()
    assert await page.evaluate("sessionStorage.length") == 0


async def test_a_revoked_token_sends_the_page_back_to_sign_in(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    stand = await open_stand(web_server.base_url, bistro.tokens["host"])
    tokens = await bistro.api.ok("GET", f"{bistro.path}/tokens")
    (host,) = [t for t in tokens["items"] if t["role"] == "host"]
    await bistro.api.ok("DELETE", f"{bistro.path}/tokens/{host['id']}", 204)

    await expect(stand.page.locator("#signin-error")).to_have_text(
        "Your sign-in is no longer valid. Please sign in again."
    )
    await expect(stand.page.get_by_label("Access token")).to_be_visible()


async def test_an_admin_token_picks_a_restaurant(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    stand = await open_stand(web_server.base_url)
    page = stand.page
    await page.get_by_label("Access token").fill(bistro.api.token or "")
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_label("Restaurant").select_option(bistro.id)
    await page.get_by_role("button", name="Sign in").click()
    await expect(stand.connection).to_have_text("Live")
    await expect(page.locator("#restaurant-name")).to_have_text("Bistro Lumière")


async def test_a_tap_is_not_lost_when_an_update_arrives_under_the_finger(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    await bistro.guest("Ortiz", party_size=2)
    stand = await open_stand(web_server.base_url, bistro.tokens["host"])
    page = stand.page
    box = await stand.button("Notify Ortiz").bounding_box()
    assert box is not None
    await page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    await page.mouse.down()

    await bistro.guest("Newcomer", party_size=2)
    deadline = asyncio.get_running_loop().time() + 5
    while not any("Newcomer" in frame for frame in stand.frames):
        assert asyncio.get_running_loop().time() < deadline, "the event never arrived"
        await asyncio.sleep(0.02)
    await page.evaluate(
        "new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
    )
    await page.mouse.up()

    await expect(stand.waitlist_entry("Ortiz")).to_contain_text("Notified")
    await expect(stand.waitlist_entry("Newcomer")).to_be_visible()


async def _release_refused(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> tuple[HostStand, Gate, str]:
    """Table 11 released by another host while the page, not hearing of it, releases it too.

    Returns the stand, its gate (closed), and the table's path.
    """
    table = await bistro.table("11", capacity=4)
    guest = await bistro.guest("Halvorsen", party_size=2)
    tables = f"{bistro.path}/tables/{table['id']}"
    await bistro.api.ok("POST", f"{tables}/assign", json={"guest_id": guest["id"]})
    gate = Gate()
    stand = await open_stand(web_server.base_url, bistro.tokens["host"], hook=gate)
    await expect(stand.table("11")).to_have_attribute("data-status", "occupied")

    gate.closed = True  # the page does not hear of the other host's release
    await bistro.api.ok("POST", f"{tables}/release")
    await stand.button("Release table 11").click()
    await expect(stand.refusal).to_have_text("Table 11 was just released by another host.")
    return stand, gate, tables


async def test_releasing_a_table_another_host_just_released_is_refused_and_corrected(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    stand, gate, _ = await _release_refused(web_server, bistro, open_stand)
    await expect(stand.table("11")).to_have_attribute("data-status", "dirty")
    gate.open()
    snapshot = await bistro.snapshot()
    assert snapshot["tables"][0]["status"] == "dirty"


class HeldWrites:
    """Holds the page's writes on their way to the server until let go (a slow network)."""

    def __init__(self) -> None:
        self.go = asyncio.Event()

    async def install(self, page: Page) -> None:
        """Route the page's API requests through the hold."""

        async def handler(route: Route) -> None:
            if route.request.method != "GET":
                await self.go.wait()
            await route.continue_()

        await page.route("**/api/v1/**", handler)


async def test_an_answer_after_sign_out_does_not_bring_the_restaurant_back(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    await bistro.guest("Ames", party_size=2)
    held = HeldWrites()
    stand = await open_stand(web_server.base_url, bistro.tokens["host"], hook=held)
    page = stand.page
    await stand.button("Notify Ames").click()
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_label("Access token")).to_be_visible()

    async with page.expect_response(lambda response: response.request.method == "PATCH"):
        held.go.set()
    await page.evaluate(
        "new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
    )
    await expect(page.locator("#summary")).to_be_hidden()
    await expect(page.locator("#restaurant-name")).to_have_text("")
    await expect(page.locator("#waitlist li")).to_have_count(0)
    await expect(page.locator(".notice")).to_have_count(0)
    assert await page.title() == "hoststand · host stand"


async def test_adding_a_walk_in_shows_it_is_under_way_and_keeps_what_is_typed_meanwhile(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    held = HeldWrites()
    stand = await open_stand(web_server.base_url, bistro.tokens["host"], hook=held)
    page = stand.page
    form = page.locator("#walk-in-form")
    await stand.add_walk_in("Ames", 2)
    add = form.get_by_role("button", name="Adding…")
    await expect(add).to_have_attribute("aria-disabled", "true")

    # The next party arrives while the first is on its way: the host types them in.
    await form.get_by_label("Name").fill("Baker")
    await form.get_by_label("Party size").fill("5")
    await add.click(force=True)  # a second tap or Enter sends nothing while the first is on its way
    await form.get_by_label("Name").press("Enter")
    async with page.expect_response(lambda response: response.request.method == "POST"):
        held.go.set()

    await expect(stand.waitlist_entry("Ames")).to_be_visible()
    await expect(form.get_by_label("Name")).to_have_value("Baker")
    await expect(form.get_by_label("Party size")).to_have_value("5")
    await form.get_by_role("button", name="Add to waitlist").click()
    await expect(stand.waitlist_entry("Baker")).to_contain_text("party of 5")
    await expect(form.get_by_label("Name")).to_have_value("")
    assert stand.count_requests("/guests") == 2
    assert sorted(await _statuses(bistro)) == ["Ames", "Baker"]


async def test_a_walk_in_refused_after_the_next_party_was_typed_names_the_party_it_is_about(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    held = HeldWrites()
    stand = await open_stand(web_server.base_url, bistro.tokens["host"], hook=held)
    page = stand.page
    form = page.locator("#walk-in-form")
    error = form.get_by_role("alert")
    await stand.add_walk_in("Rivera", 4, phone="12345")
    await expect(form.get_by_role("button", name="Adding…")).to_be_visible()

    # The next party is typed in while Rivera's is on its way, then Rivera's phone is refused.
    await form.get_by_label("Name").fill("Baker")
    await form.get_by_label("Party size").fill("2")
    await form.get_by_label("Phone").fill("+1 415 555 0199")
    async with page.expect_response(lambda response: response.request.method == "POST"):
        held.go.set()

    phone = "Check the phone number: use the international form, like +1 415 555 0123."
    await expect(error).to_have_text(f"Could not add Rivera, party of 4: {phone}")
    await expect(stand.page.locator(".notice")).to_have_count(0)
    for label, value in (("Name", "Baker"), ("Party size", "2"), ("Phone", "+1 415 555 0199")):
        await expect(form.get_by_label(label)).to_have_value(value)  # what the host typed stays
        await expect(form.get_by_label(label)).not_to_have_attribute("aria-invalid", "true")
    # Baker's phone is not what was refused: editing it does not answer Rivera's refusal.
    await form.get_by_label("Phone").fill("+1 415 555 0198")
    await expect(error).to_have_text(f"Could not add Rivera, party of 4: {phone}")

    await form.get_by_role("button", name="Add to waitlist").click()
    await expect(stand.waitlist_entry("Baker")).to_contain_text("party of 2")
    await expect(error).to_have_count(0)
    assert sorted(await _statuses(bistro)) == ["Baker"]


async def test_seating_a_guest_another_host_just_seated_names_the_guest_not_the_free_table(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    one = await bistro.table("1", capacity=4)
    await bistro.table("2", capacity=4)
    rivera = await bistro.guest("Rivera", party_size=2)
    gate = Gate()
    stand = await open_stand(web_server.base_url, bistro.tokens["host"], hook=gate)
    await stand.button("Seat Rivera").click()

    gate.closed = True  # the page does not hear that another host seated Rivera at table 1
    await bistro.api.ok(
        "POST", f"{bistro.path}/tables/{one['id']}/assign", json={"guest_id": rivera["id"]}
    )
    await stand.button("Seat Rivera at table 2").click()

    await expect(stand.refusal).to_have_text("Rivera was just seated by another host.")
    await expect(stand.table("1")).to_contain_text("Rivera")
    await expect(stand.table("2")).to_have_attribute("data-status", "available")
    await expect(stand.waitlist_entry("Rivera")).to_have_count(0)
    gate.open()


async def test_seating_at_a_table_another_host_just_removed_names_the_table_not_the_guest(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    await bistro.table("1", capacity=4)
    two = await bistro.table("2", capacity=4)
    await bistro.guest("Rivera", party_size=2)
    gate = Gate()
    stand = await open_stand(web_server.base_url, bistro.tokens["host"], hook=gate)
    await stand.button("Seat Rivera").click()

    gate.closed = True  # the page does not hear that an owner removed table 2
    await bistro.api.ok("DELETE", f"{bistro.path}/tables/{two['id']}", 204)
    await stand.button("Seat Rivera at table 2").click()

    await expect(stand.refusal).to_have_text("Table 2 was removed by another host.")
    await expect(stand.table("2")).to_have_count(0)
    await expect(stand.table("1")).to_have_attribute("data-status", "available")
    await expect(stand.waitlist_entry("Rivera")).to_be_visible()
    gate.open()


async def test_a_guest_with_a_move_on_its_way_takes_no_second_move_until_the_answer(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    await bistro.table("1", capacity=4)
    ames = await bistro.guest("Ames", party_size=2)
    await bistro.guest("Baker", party_size=2)
    held = HeldWrites()
    stand = await open_stand(web_server.base_url, bistro.tokens["host"], hook=held)
    page = stand.page
    await stand.button("Notify Ames").click()

    row = stand.waitlist_entry("Ames")
    await expect(row).to_have_attribute("aria-busy", "true")
    for name in ("Seat Ames", "Notify Ames", "Mark Ames arrived", "Cancel Ames"):
        await expect(stand.button(name)).to_have_attribute("aria-disabled", "true")
    # Clicked through, as a tap on a greyed-out button: each found and clicked in one task of
    # the page. A pointer press has the page redraw its lists once it is let go (gestures.js),
    # and a forced click finds its button first: the redraw could replace it before the click.
    await stand.button("Cancel Ames").dispatch_event("click")
    await stand.button("Mark Ames as no-show").dispatch_event("click")
    await stand.waitlist_entry("Ames").drag_to(stand.table("1"))
    await expect(stand.button("Notify Baker")).not_to_have_attribute("aria-disabled", "true")
    async with page.expect_response(lambda response: response.request.method == "PATCH"):
        held.go.set()

    await expect(row).to_contain_text("Notified")
    await expect(stand.confirmation).to_have_text("Ames notified.")
    await expect(row).not_to_have_attribute("aria-busy", "true")
    await expect(stand.button("Cancel Ames")).not_to_have_attribute("aria-disabled", "true")
    assert stand.count_requests(f"/guests/{ames['id']}") == 1
    assert stand.count_requests("/assign") == 0
    assert await _statuses(bistro) == {"Ames": "notified", "Baker": "waiting"}


async def test_a_refusal_goes_once_what_it_says_is_no_longer_so(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    stand, gate, tables = await _release_refused(web_server, bistro, open_stand)
    gate.open()  # what the page missed: the refusal was judged on it already, and stays
    await bistro.api.ok("POST", f"{bistro.path}/tables", 201, json={"label": "12", "capacity": 2})
    await expect(stand.table("12")).to_be_visible()
    await expect(stand.refusal).to_have_text("Table 11 was just released by another host.")

    # Another host cleans table 11: "just released" is no longer what the host needs to know.
    await bistro.client("host").ok("PATCH", tables, json={"status": "available"})
    await expect(stand.table("11")).to_have_attribute("data-status", "available")
    await expect(stand.refusal).to_have_count(0)


async def test_a_refusal_goes_when_the_next_action_on_its_guest_succeeds(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    ames = await bistro.guest("Ames", party_size=2)
    await bistro.guest("Baker", party_size=2)
    await bistro.guest("Cole", party_size=2)
    await bistro.table("11", capacity=6)
    gate = Gate()
    stand = await open_stand(web_server.base_url, bistro.tokens["host"], hook=gate)
    page = stand.page
    await expect(stand.waitlist_entry("Ames")).to_be_visible()

    gate.closed = True  # no event reaches the page: only the host's own actions change it
    await bistro.client("host").ok(
        "PATCH", f"{bistro.path}/guests/{ames['id']}", json={"party_size": 6}
    )
    await stand.button("Notify Ames").click()
    await expect(stand.refusal).to_have_text(
        "Not notified: another host just changed Ames (party of 6)."
    )
    await stand.seat("Ames", "11")
    await expect(stand.confirmation.filter(has_text="Ames seated")).to_be_visible()
    await expect(stand.refusal).to_have_count(0)

    # The server out of reach, then reached again: the "can't reach" goes with the next success,
    # on any guest (it was about the server, not about Baker).
    await page.route("**/api/v1/**", lambda route: route.abort(), times=1)
    await stand.button("Notify Baker").click()
    await expect(stand.refusal).to_have_text(
        "Can't reach hoststand right now. Check the connection and try again."
    )
    await stand.button("Notify Cole").click()
    await expect(stand.waitlist_entry("Cole")).to_contain_text("Notified")
    await expect(stand.refusal).to_have_count(0)
    gate.open()
