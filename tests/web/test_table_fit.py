"""A party and a table that do not suit each other: too small, out of service, or meant for more.

The server refuses a hold that cannot take the party unless the host keeps it knowingly
(hold_does_not_fit, override_hold); it never refuses a party below a table's minimum, which the
page tells the host about and asks once before seating.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.async_api import expect

from tests.conftest import Api
from tests.servers import ThreadServer
from tests.web.conftest import OpenStand
from tests.web.test_actions import _midday_zone
from tests.web.test_bookings_and_edits import CLOCKS, _guests, _stamp, _wall


async def test_a_booking_whose_held_table_cannot_take_the_party_asks_before_it_is_saved(
    web_server: ThreadServer, web_api: Api, open_stand: OpenStand
) -> None:
    zone = _midday_zone()
    place = await web_api.restaurant("Midday", timezone=zone)
    await place.table("4", capacity=4)
    six = await place.table("6", capacity=6)
    stand = await open_stand(web_server.base_url, place.tokens["host"], **CLOCKS)
    form = stand.booking
    held = form.get_by_label("Hold table")
    question = form.get_by_role("alertdialog")
    await stand.start_booking("Dubois", 4, _wall(zone, timedelta(hours=2)))
    await held.select_option(label="4 · 4 seats")

    # The party grows after the table was chosen: Save asks, and books nothing meanwhile.
    await form.get_by_label("Party size").fill("5")
    await form.get_by_role("button", name="Add reservation").click()
    await expect(question).to_contain_text("Table 4 has 4 seats, too few for a party of 5.")
    await expect(form.get_by_role("button", name="Choose another table")).to_be_focused()
    assert await _guests(place) == {}
    await form.get_by_role("button", name="Choose another table").click()
    await expect(question).to_be_hidden()
    await expect(held).to_be_focused()
    await expect(form.get_by_label("Name")).to_have_value("Dubois")

    # Another table, taken out of service by another device before Save: asked again, and kept.
    await held.select_option(label="6 · 6 seats")
    await place.api.ok(
        "PATCH", f"{place.path}/tables/{six['id']}", json={"status": "out_of_service"}
    )
    await expect(held).to_have_accessible_description(
        "Table 6 is out of service. Choose another table, or No table."
    )
    await form.get_by_role("button", name="Add reservation").click()
    await expect(question).to_contain_text("Table 6 is out of service.")
    await form.get_by_role("button", name="Hold it anyway").click()
    await expect(form).to_be_hidden()
    booked = (await _guests(place))["Dubois"]
    assert (booked["party_size"], booked["held_table_id"]) == (5, six["id"])


async def test_an_edit_growing_the_party_past_its_held_table_asks_and_can_hold_no_table(
    web_server: ThreadServer, web_api: Api, open_stand: OpenStand
) -> None:
    zone = _midday_zone()
    place = await web_api.restaurant("Midday", timezone=zone)
    four = await place.table("4", capacity=4)
    await place.guest(
        "Haddad",
        party_size=4,
        kind="reservation",
        reserved_for=_stamp(_wall(zone, timedelta(hours=3)), zone),
        held_table_id=four["id"],
    )
    stand = await open_stand(web_server.base_url, place.tokens["host"], **CLOCKS)
    form = stand.editing
    question = form.get_by_role("alertdialog")
    size = form.get_by_label("Party size")
    await stand.button("Edit Haddad").click()
    await size.fill("6")
    await form.get_by_role("button", name="Save changes").click()
    await expect(question).to_contain_text("Table 4 has 4 seats, too few for a party of 6.")
    assert (await _guests(place))["Haddad"]["party_size"] == 4

    # The host fixes the party size instead: the question goes, the typing stays where it is.
    await size.fill("5")
    await expect(question).to_be_hidden()
    await expect(size).to_be_focused()
    await form.get_by_role("button", name="Save changes").click()
    await expect(question).to_contain_text("Table 4 has 4 seats, too few for a party of 5.")
    await form.get_by_role("button", name="No table").click()
    await expect(form).to_be_hidden()
    saved = (await _guests(place))["Haddad"]
    assert (saved["party_size"], saved["held_table_id"]) == (5, None)


async def test_a_party_below_a_tables_minimum_is_told_and_asked_once_before_seating(
    web_server: ThreadServer, web_api: Api, open_stand: OpenStand
) -> None:
    zone = _midday_zone()
    place = await web_api.restaurant("Midday", timezone=zone)
    six = await place.table("6", capacity=6, min_capacity=4)
    await place.table("2", capacity=2)
    soon = (datetime.now(UTC) + timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M:%SZ")
    await place.guest(
        "Okafor", party_size=4, kind="reservation", reserved_for=soon, held_table_id=six["id"]
    )
    await place.guest("Rivera", party_size=2)
    stand = await open_stand(web_server.base_url, place.tokens["host"], **CLOCKS)

    await stand.button("Seat Rivera").click()
    await expect(stand.table("6")).to_contain_text("For 4 or more")
    await expect(stand.table("2")).not_to_contain_text("For ")
    await stand.button("Seat Rivera at table 6").click()
    await expect(stand.refusal).to_have_text(
        "Table 6 is meant for 4 to 6 guests: seat Rivera, a party of 2, there anyway?"
    )
    assert stand.count_requests("/assign") == 0, "asked before anything is sent"

    # Once: a later refusal (the table is held soon) does not ask about the minimum again.
    await stand.button("Seat anyway").click()
    await expect(stand.refusal).to_contain_text("Table 6 is held for Okafor")
    await stand.button("Seat anyway").click()
    await expect(stand.table("6")).to_contain_text("Rivera")
    assert stand.count_requests("/assign") == 2
    assert (await _guests(place))["Rivera"]["status"] == "seated"


async def test_the_hold_list_says_when_a_table_is_meant_for_more_and_lets_it_be_held(
    web_server: ThreadServer, web_api: Api, open_stand: OpenStand
) -> None:
    zone = _midday_zone()
    place = await web_api.restaurant("Midday", timezone=zone)
    await place.table("4", capacity=4)
    six = await place.table("6", capacity=6, min_capacity=4)
    stand = await open_stand(web_server.base_url, place.tokens["host"], **CLOCKS)
    form = stand.booking
    held = form.get_by_label("Hold table")
    await stand.start_booking("Dubois", 2, _wall(zone, timedelta(hours=2)))

    await expect(held.locator("option:not([disabled])")).to_have_text(
        ["No table", "4 · 4 seats", "6 · 6 seats · for 4 or more"]
    )
    await held.select_option(label="6 · 6 seats · for 4 or more")
    await expect(held).to_have_accessible_description(
        "Table 6 is meant for 4 to 6 guests; a party of 2 is below its minimum."
    )
    await form.get_by_label("Party size").fill("4")
    await expect(held).to_have_accessible_description("")
    await form.get_by_label("Party size").fill("2")
    await form.get_by_role("button", name="Add reservation").click()
    await expect(form).to_be_hidden()
    assert (await _guests(place))["Dubois"]["held_table_id"] == six["id"]
