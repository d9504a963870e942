"""Two hosts move the same guest at once: the later move never silently undoes the earlier one."""

from __future__ import annotations

from typing import Any

from playwright.async_api import expect

from tests.conftest import Restaurant
from tests.servers import ThreadServer
from tests.web.conftest import Gate, OpenStand


async def _guest(restaurant: Restaurant, name: str) -> dict[str, Any]:
    snapshot = await restaurant.snapshot()
    guests: list[dict[str, Any]] = [guest for guest in snapshot["guests"] if guest["name"] == name]
    (guest,) = guests
    return guest


async def test_a_move_on_a_guest_another_host_just_changed_says_what_changed_and_waits_for_the_host(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    ames = await bistro.guest("Ames", party_size=2)
    gate = Gate()
    stand = await open_stand(web_server.base_url, bistro.tokens["host"], hook=gate)
    page = stand.page
    await expect(stand.waitlist_entry("Ames")).to_be_visible()

    gate.closed = True  # the page does not hear that another host marked Ames arrived
    change = {"status": "arrived", "party_size": 6}
    await bistro.client("host").ok("PATCH", f"{bistro.path}/guests/{ames['id']}", json=change)
    async with page.expect_request(lambda request: request.method == "PATCH") as sent:
        await stand.button("Cancel Ames").click()

    await expect(stand.refusal).to_have_text(
        "Not cancelled: another host just changed Ames (arrived, party of 6)."
    )
    assert (await sent.value).headers["if-match"] == '"1"'
    row = stand.waitlist_entry("Ames")
    await expect(row).to_contain_text("Arrived")  # the page shows Ames as they are now
    await expect(row).to_contain_text("party of 6")
    assert (await _guest(bistro, "Ames"))["status"] == "arrived", "the arrival was kept"

    # The host, seeing it, cancels anyway: on the version they now see.
    await page.get_by_role("alert").get_by_role("button", name="Cancel anyway").click()
    await expect(stand.waitlist_entry("Ames")).to_have_count(0)
    cancelled = await _guest(bistro, "Ames")
    assert (cancelled["status"], cancelled["version"]) == ("cancelled", 3)
    undo = page.locator(".notice.info").filter(has_text="Ames cancelled.")
    async with page.expect_request(lambda request: request.method == "PATCH") as sent:
        await undo.get_by_role("button", name="Undo").click()
    assert (await sent.value).headers["if-match"] == '"3"'
    await expect(stand.waitlist_entry("Ames")).to_be_visible()
    gate.open()


async def test_a_move_another_host_made_impossible_is_refused_without_an_offer_to_force_it(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    await bistro.guest("Baker", party_size=4)
    baker = await _guest(bistro, "Baker")
    gate = Gate()
    stand = await open_stand(web_server.base_url, bistro.tokens["host"], hook=gate)
    await expect(stand.waitlist_entry("Baker")).to_be_visible()

    gate.closed = True
    host = bistro.client("host")
    await host.ok("PATCH", f"{bistro.path}/guests/{baker['id']}", json={"status": "arrived"})
    await stand.button("Notify Baker").click()

    await expect(stand.refusal).to_have_text("Baker has already arrived.")
    await expect(
        stand.page.get_by_role("alert").get_by_role("button", name="Notify anyway")
    ).to_have_count(0)
    await expect(stand.waitlist_entry("Baker")).to_contain_text("Arrived")
    await expect(stand.button("Notify Baker")).to_have_count(0)  # arrived guests are not notified
    assert (await _guest(bistro, "Baker"))["status"] == "arrived"
    gate.open()


async def test_undoing_a_cancel_another_host_already_undid_changes_nothing_more(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    await bistro.guest("Chen", party_size=3)
    chen = await _guest(bistro, "Chen")
    gate = Gate()
    stand = await open_stand(web_server.base_url, bistro.tokens["host"], hook=gate)
    await stand.button("Cancel Chen").click()
    await expect(stand.waitlist_entry("Chen")).to_have_count(0)

    gate.closed = True  # another host brought Chen back and notified them
    host = bistro.client("host")
    for status in ("waiting", "notified"):
        await host.ok("PATCH", f"{bistro.path}/guests/{chen['id']}", json={"status": status})
    undo = stand.page.locator(".notice.info").filter(has_text="Chen cancelled.")
    await undo.get_by_role("button", name="Undo").click()

    await expect(stand.refusal).to_have_text("Chen was already notified.")
    await expect(stand.waitlist_entry("Chen")).to_contain_text("Notified")
    assert (await _guest(bistro, "Chen"))["status"] == "notified", "not sent back to waiting"
    gate.open()


async def test_seating_a_party_another_host_just_enlarged_says_so_before_offering_to_seat_anyway(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    await bistro.table("2", capacity=2)
    eriksen = await bistro.guest("Eriksen", party_size=2)
    gate = Gate()
    stand = await open_stand(web_server.base_url, bistro.tokens["host"], hook=gate)
    await stand.button("Seat Eriksen").click()

    gate.closed = True  # the page still shows a party of 2
    change = {"party_size": 5}
    await bistro.client("host").ok("PATCH", f"{bistro.path}/guests/{eriksen['id']}", json=change)
    await stand.button("Seat Eriksen at table 2").click()

    await expect(stand.refusal).to_have_text(
        "Another host just made Eriksen a party of 5: they do not fit table 2 (2 seats)."
    )
    await expect(stand.waitlist_entry("Eriksen")).to_contain_text("party of 5")
    await stand.page.get_by_role("alert").get_by_role("button", name="Seat anyway").click()
    await expect(stand.table("2")).to_contain_text("party of 5")
    assert (await _guest(bistro, "Eriksen"))["status"] == "seated"
    gate.open()


async def test_a_seating_at_a_table_another_host_just_changed_says_so_and_seats_on_a_retry(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    await bistro.guest("Ames", party_size=4)
    eight = await bistro.table("8", capacity=4)
    gate = Gate()
    stand = await open_stand(web_server.base_url, bistro.tokens["host"], hook=gate)
    page = stand.page
    await expect(stand.table("8")).to_be_visible()

    gate.closed = True  # the page does not hear that the owner gave table 8 two more seats
    await bistro.api.ok("PATCH", f"{bistro.path}/tables/{eight['id']}", json={"capacity": 6})
    await stand.button("Seat Ames").click()
    async with page.expect_request(lambda request: "/assign" in request.url) as sent:
        await stand.button("Seat Ames at table 8").click()

    assert (await sent.value).headers.get("if-match") == '"1"', "seated on the table the host saw"
    await expect(stand.refusal).to_have_text(
        "Not seated: another host just changed table 8 (now 6 seats)."
    )
    await expect(stand.table("8")).to_contain_text("6 seats")  # the table as it is now
    assert (await _guest(bistro, "Ames"))["status"] == "waiting"

    async with page.expect_request(lambda request: "/assign" in request.url) as sent:
        await page.get_by_role("alert").get_by_role("button", name="Seat anyway").click()
    assert (await sent.value).headers.get("if-match") == '"2"'
    # Occupied, not only naming Ames: while the host chooses a table, every tile holds a "Seat
    # Ames" button, and the snapshot below could be read before the seating committed.
    occupied = page.get_by_role("group", name="Table 8, Occupied")
    await expect(occupied).to_contain_text("Ames")
    assert (await _guest(bistro, "Ames"))["status"] == "seated"
    gate.open()


async def test_a_seating_at_a_table_another_host_just_took_is_refused_without_an_offer(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    await bistro.guest("Ames", party_size=2)
    baker = await bistro.guest("Baker", party_size=2)
    eight = await bistro.table("8", capacity=4)
    gate = Gate()
    stand = await open_stand(web_server.base_url, bistro.tokens["host"], hook=gate)
    await expect(stand.table("8")).to_be_visible()

    gate.closed = True
    await bistro.client("host").ok(
        "POST", f"{bistro.path}/tables/{eight['id']}/assign", json={"guest_id": baker["id"]}
    )
    await stand.seat("Ames", "8")

    await expect(stand.refusal).to_have_text("Table 8 was just seated by another host.")
    await expect(
        stand.page.get_by_role("alert").get_by_role("button", name="Seat anyway")
    ).to_have_count(0)
    await expect(stand.table("8")).to_contain_text("Baker")
    gate.open()
