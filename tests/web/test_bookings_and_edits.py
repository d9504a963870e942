"""Reservations taken at the stand, and guests' details corrected there, never over another's."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Request, expect

from tests.conftest import Api, Restaurant
from tests.servers import ThreadServer
from tests.web.conftest import SYNC_TIMEOUT_MS, Gate, OpenStand
from tests.web.test_actions import _midday_zone

# Clocks read 19:30, as the assertions write them.
CLOCKS = {"locale": "en-GB"}
# The host's tablet keeps another zone than the restaurant's: what is typed is the restaurant's.
ELSEWHERE = {**CLOCKS, "timezone_id": "Pacific/Honolulu"}


def _wall(zone: str, later: timedelta) -> str:
    """What the restaurant's clocks show `later` from now, as typed in the form."""
    return (datetime.now(ZoneInfo(zone)) + later).strftime("%Y-%m-%dT%H:%M")


def _stamp(wall: str, zone: str) -> str:
    """The API's timestamp of a time on the restaurant's clocks."""
    moment = datetime.strptime(wall, "%Y-%m-%dT%H:%M").replace(tzinfo=ZoneInfo(zone))
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _zone_hint(zone: str, device: str = "Pacific/Honolulu") -> str:
    """The forms' hint for a restaurant in UTC or an Etc/GMT zone, read on a device in another."""
    now = datetime.now(UTC)
    hours = int(now.astimezone(ZoneInfo(zone)).utcoffset().total_seconds()) // 3600  # type: ignore[union-attr]
    ahead = hours - int(now.astimezone(ZoneInfo(device)).utcoffset().total_seconds()) // 3600  # type: ignore[union-attr]
    name = f"UTC{hours:+d}" if hours else "UTC"
    gap = (
        f"{abs(ahead)} hour{'' if abs(ahead) == 1 else 's'} {'ahead of' if ahead > 0 else 'behind'}"
    )
    return f"Times are the restaurant's: {name}" + (f", {gap} this device." if ahead else ".")


async def _guests(restaurant: Restaurant) -> dict[str, dict[str, Any]]:
    snapshot = await restaurant.snapshot()
    return {guest["name"]: guest for guest in snapshot["guests"]}


async def _marchetti_holds_table_8(place: Restaurant, zone: str, *, party_size: int) -> str:
    """Table 8 (six seats), held for Marchetti's reservation in two hours; when, on the wall."""
    table = await place.table("8", capacity=6)
    first = _wall(zone, timedelta(hours=2))
    await place.guest(
        "Marchetti",
        party_size=party_size,
        kind="reservation",
        reserved_for=_stamp(first, zone),
        held_table_id=table["id"],
    )
    return first


async def test_a_reservation_booked_at_one_stand_shows_on_the_other_at_once(
    web_server: ThreadServer, web_api: Api, open_stand: OpenStand
) -> None:
    zone = _midday_zone()
    place = await web_api.restaurant("Midday", timezone=zone)
    table = await place.table("8", capacity=6)
    front = await open_stand(web_server.base_url, place.tokens["host"], **ELSEWHERE)
    back = await open_stand(web_server.base_url, place.tokens["host"], **CLOCKS)
    when = _wall(zone, timedelta(hours=2))

    await front.button("Add a reservation…").click()
    await expect(front.booking.get_by_text(_zone_hint(zone))).to_be_visible()
    await front.booking.get_by_role("button", name="Close").click()
    await front.book(
        "Dubois", 4, when, table="8 · 6 seats", phone="+1 415 555 0123", notes="Window please"
    )

    await expect(front.booking).to_be_hidden()
    await expect(front.confirmation).to_have_text(f"Dubois booked for today at {when[11:]}.")
    row = back.reservation_entry("Dubois")
    await expect(row).to_be_visible(timeout=SYNC_TIMEOUT_MS)
    await expect(row).to_contain_text("party of 4")
    await expect(row).to_contain_text(f"Reservation {when[11:]}")
    await expect(row).to_contain_text("Window please")
    await expect(back.table("8")).to_contain_text(f"Held for Dubois at {when[11:]}")
    booked = (await _guests(place))["Dubois"]
    assert booked["kind"] == "reservation"
    assert booked["reserved_for"] == _stamp(when, zone)
    assert (booked["held_table_id"], booked["phone"]) == (table["id"], "+14155550123")
    assert booked["duration_minutes"] == 90, "the stay follows the party size when left empty"


async def test_a_refused_reservation_says_why_in_the_form_and_keeps_it(
    web_server: ThreadServer, web_api: Api, open_stand: OpenStand
) -> None:
    zone = _midday_zone()
    place = await web_api.restaurant("Midday", timezone=zone)
    first = await _marchetti_holds_table_8(place, zone, party_size=6)
    stand = await open_stand(web_server.base_url, place.tokens["host"], **CLOCKS)
    form = stand.booking
    refusal = form.get_by_role("alert")
    later = _wall(zone, timedelta(hours=2, minutes=30))

    await stand.book("Dubois", 2, later, table="8 · 6 seats")
    await expect(refusal).to_have_text(
        f"Table 8 is already held for Marchetti today at {first[11:]} "
        f"(until {(datetime.fromisoformat(first) + timedelta(minutes=105)).strftime('%H:%M')})."
        " Choose another time or table, or a shorter stay."
    )
    await expect(form).to_be_visible()
    await expect(form.get_by_label("Name")).to_have_value("Dubois")

    await form.get_by_label("Date and time").fill("2100-01-01T19:00")
    await form.get_by_role("button", name="Add reservation").click()
    await expect(refusal).to_have_text("Date and time: must be in the years 2000 to 2099.")
    await form.get_by_label("Date and time").fill(later)
    await form.get_by_label("Phone").fill("555")
    await form.get_by_role("button", name="Add reservation").click()
    await expect(refusal).to_contain_text("Check the phone number")

    await form.get_by_label("Phone").fill("")
    await form.get_by_label("Hold table").select_option(label="No table")
    await form.get_by_role("button", name="Add reservation").click()
    await expect(form).to_be_hidden()
    await expect(stand.reservation_entry("Dubois")).to_be_visible()
    guests = await _guests(place)
    assert sorted(guests) == ["Dubois", "Marchetti"]
    assert guests["Dubois"]["held_table_id"] is None


async def test_a_booking_half_typed_survives_updates_and_being_closed(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    stand = await open_stand(web_server.base_url, bistro.tokens["host"])
    form = stand.booking
    await stand.button("Add a reservation…").click()
    await form.get_by_label("Name").fill("Dubois")
    await form.get_by_label("Notes").fill("Allergic to nuts")

    await bistro.guest("Newcomer", party_size=3)  # another device: the stand redraws behind
    await expect(stand.waitlist_entry("Newcomer")).to_be_visible()
    await expect(form.get_by_label("Name")).to_have_value("Dubois")
    await expect(form.get_by_label("Notes")).to_be_focused()
    await stand.page.keyboard.press("Escape")
    await expect(form).to_be_hidden()
    await expect(stand.button("Add a reservation…")).to_be_focused()
    await stand.button("Add a reservation…").click()
    await expect(form.get_by_label("Name")).to_have_value("Dubois")
    await expect(form.get_by_label("Notes")).to_have_value("Allergic to nuts")


async def test_an_edited_party_size_shows_on_the_other_stand(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    ames = await bistro.guest("Ames", party_size=2, notes="By the window")
    front = await open_stand(web_server.base_url, bistro.tokens["host"])
    back = await open_stand(web_server.base_url, bistro.tokens["host"])

    await front.button("Edit Ames").click()
    form = front.editing
    await expect(form.get_by_role("heading")).to_have_text("Edit Ames")
    await expect(form.get_by_label("Notes")).to_have_value("By the window")
    await form.get_by_label("Party size").fill("5")
    async with front.page.expect_request(lambda request: request.method == "PATCH") as sent:
        await form.get_by_role("button", name="Save changes").click()

    await expect(form).to_be_hidden()
    await expect(back.waitlist_entry("Ames")).to_contain_text("party of 5", timeout=SYNC_TIMEOUT_MS)
    await expect(front.button("Edit Ames")).to_be_focused()
    request = await sent.value
    assert request.post_data_json == {"party_size": 5}, "only what the host changed is sent"
    assert request.headers["if-match"] == '"1"'
    edited = (await _guests(bistro))["Ames"]
    assert (edited["party_size"], edited["notes"], edited["version"]) == (5, "By the window", 2)
    assert edited["id"] == ames["id"]


async def _another_host_edits(
    bistro: Restaurant, guest: dict[str, Any], change: dict[str, Any]
) -> None:
    """Another host changes the guest through the API."""
    await bistro.client("host").ok("PATCH", f"{bistro.path}/guests/{guest['id']}", json=change)


async def test_an_edit_crossing_another_hosts_change_is_refused_and_shows_theirs(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    ames = await bistro.guest("Ames", party_size=2)
    gate = Gate()
    stand = await open_stand(web_server.base_url, bistro.tokens["host"], hook=gate)
    await stand.button("Edit Ames").click()
    form = stand.editing

    gate.closed = True  # the page does not hear of the other host's change
    await _another_host_edits(bistro, ames, {"party_size": 4, "notes": "High chair"})
    await form.get_by_label("Party size").fill("6")
    await form.get_by_role("button", name="Save changes").click()

    await expect(form.get_by_role("alert")).to_have_text(
        "Not saved: another host changed Ames's party size and notes meanwhile."
        " Check the marked fields, then save again."
    )
    await expect(form.get_by_label("Party size")).to_have_value("6")
    await expect(form.get_by_label("Party size")).to_have_accessible_description(
        "Another host changed this to “4”; saving replaces it with yours."
    )
    await expect(form.get_by_label("Notes")).to_have_value("High chair")
    await expect(form.get_by_label("Notes")).to_have_accessible_description(
        "Changed by another host (it was nothing)."
    )
    kept = (await _guests(bistro))["Ames"]
    assert (kept["party_size"], kept["notes"], kept["version"]) == (4, "High chair", 2)

    # The line goes once the host has looked at the clash (edited the marked field), not before;
    # the note under it still says what saving replaces.
    await form.get_by_label("Name").fill("Ames")
    await expect(form.get_by_role("alert")).to_contain_text("Not saved: another host changed")
    await form.get_by_label("Party size").fill("7")
    await form.get_by_label("Party size").fill("6")
    await expect(form.get_by_role("alert")).to_have_text("")
    await expect(form.get_by_label("Party size")).to_have_accessible_description(
        "Another host changed this to “4”; saving replaces it with yours."
    )

    # Saving again, knowing it, applies the host's party size and keeps the other's notes.
    await form.get_by_role("button", name="Save changes").click()
    await expect(form).to_be_hidden()
    await expect(stand.waitlist_entry("Ames")).to_contain_text("party of 6")
    saved = (await _guests(bistro))["Ames"]
    assert (saved["party_size"], saved["notes"], saved["version"]) == (6, "High chair", 3)
    gate.open()


async def test_another_hosts_change_shows_in_an_open_edit_form_without_losing_what_is_typed(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    ames = await bistro.guest("Ames", party_size=2, phone="+14155550123")
    stand = await open_stand(web_server.base_url, bistro.tokens["host"])
    await stand.button("Edit Ames").click()
    form = stand.editing
    await form.get_by_label("Name").fill("Amesbury")

    await _another_host_edits(bistro, ames, {"party_size": 3, "phone": None})
    await expect(form.get_by_role("alert")).to_have_text(
        "Another host just changed Ames's party size and phone. Their changes are marked below."
    )
    await expect(form.get_by_label("Party size")).to_have_value("3")
    await expect(form.get_by_label("Phone")).to_have_value("")
    await expect(form.get_by_label("Phone")).to_have_accessible_description(
        "Changed by another host (it was “+14155550123”)."
    )
    await expect(form.get_by_label("Name")).to_have_value("Amesbury")
    await expect(form.get_by_label("Name")).to_be_focused()
    await expect(stand.waitlist_entry("Ames")).to_contain_text("party of 3")  # live behind
    # Typing on in a field of the host's own keeps the line; editing one of theirs takes it away.
    await form.get_by_label("Name").press_sequentially("e")
    await expect(form.get_by_role("alert")).to_contain_text("Another host just changed Ames's")
    await form.get_by_label("Party size").fill("4")
    await form.get_by_label("Party size").fill("3")  # the host looked, and left theirs
    await expect(form.get_by_role("alert")).to_have_text("")
    await expect(form.get_by_label("Party size")).to_have_accessible_description(
        "Changed by another host (it was “2”)."
    )

    await form.get_by_role("button", name="Save changes").click()
    await expect(form).to_be_hidden()
    saved = (await _guests(bistro))["Amesburye"]
    assert (saved["party_size"], saved["phone"], saved["version"]) == (3, None, 3)


async def test_an_open_edit_says_when_another_host_cancels_the_guest_or_their_party_leaves(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    ames = await bistro.guest("Ames", party_size=2)
    baker = await bistro.guest("Baker", party_size=2)
    stand = await open_stand(web_server.base_url, bistro.tokens["host"])
    form = stand.editing
    error = form.get_by_role("alert")
    await stand.button("Edit Ames").click()
    await form.get_by_label("Party size").fill("3")

    await _another_host_edits(bistro, ames, {"status": "cancelled", "notes": "Called off"})
    await expect(stand.waitlist_entry("Ames")).to_have_count(0)
    cancelled = "Ames was cancelled by another host."
    await expect(error).to_have_text(
        f"{cancelled} Another host just changed Ames's notes. Their changes are marked below."
    )
    await form.get_by_label("Notes").fill("Called off, maybe back later")
    await expect(error).to_have_text(cancelled)  # no field of the form answers that
    await form.get_by_role("button", name="Close").click()
    await form.get_by_role("button", name="Discard changes").click()

    # Seated elsewhere, then gone: the form says each, as the stand behind shows it.
    table = f"{bistro.path}/tables/{(await bistro.table('4', capacity=4))['id']}"
    await stand.button("Edit Baker").click()
    await form.get_by_label("Name").fill("Bakker")
    host = bistro.client("host")
    await host.ok("POST", f"{table}/assign", json={"guest_id": baker["id"]})
    await expect(error).to_have_text("Baker was just seated by another host.")
    await host.ok("POST", f"{table}/release")
    await expect(error).to_have_text("Baker has already left.")


async def test_a_reservation_moved_and_refused_keeps_its_old_time(
    web_server: ThreadServer, web_api: Api, open_stand: OpenStand
) -> None:
    zone = _midday_zone()
    place = await web_api.restaurant("Midday", timezone=zone)
    table = await place.table("8", capacity=6)
    first, second = _wall(zone, timedelta(hours=2)), _wall(zone, timedelta(hours=5))
    for name, when in (("Marchetti", first), ("Haddad", second)):
        await place.guest(
            name,
            party_size=2,
            kind="reservation",
            reserved_for=_stamp(when, zone),
            held_table_id=table["id"],
        )
    stand = await open_stand(web_server.base_url, place.tokens["host"], **ELSEWHERE)
    await stand.button("Edit Haddad").click()
    form = stand.editing
    await expect(form.get_by_text(_zone_hint(zone))).to_be_visible()
    await expect(form.get_by_label("Date and time")).to_have_value(second)
    await expect(form.get_by_label("Hold table")).to_have_value(table["id"])
    await expect(form.get_by_label("Quote (minutes)")).to_be_hidden()  # a walk-in's

    await form.get_by_label("Date and time").fill(_wall(zone, timedelta(hours=2, minutes=30)))
    await form.get_by_role("button", name="Save changes").click()
    await expect(form.get_by_role("alert")).to_contain_text(
        "Table 8 is already held for Marchetti today"
    )
    assert (await _guests(place))["Haddad"]["reserved_for"] == _stamp(second, zone)

    later = _wall(zone, timedelta(hours=6))
    await form.get_by_label("Date and time").fill(later)
    await form.get_by_role("button", name="Save changes").click()
    await expect(form).to_be_hidden()
    await expect(stand.reservation_entry("Haddad")).to_contain_text(f"Reservation {later[11:]}")
    assert (await _guests(place))["Haddad"]["reserved_for"] == _stamp(later, zone)


async def test_a_viewer_is_offered_neither_booking_nor_editing(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    await bistro.guest("Ames", party_size=2)
    stand = await open_stand(web_server.base_url, bistro.tokens["viewer"])
    page = stand.page
    await expect(stand.waitlist_entry("Ames")).to_be_visible()
    await expect(page.locator("#summary")).to_contain_text("view only")

    await expect(stand.button("Add a reservation…")).to_have_count(0)
    await expect(stand.button("Edit Ames")).to_have_count(0)
    # Even the hidden opener, pressed by a script, opens nothing.
    await page.locator("#add-reservation").dispatch_event("click")
    await expect(page.locator("dialog[open]")).to_have_count(0)


async def test_a_seated_partys_name_size_and_notes_are_fixed_from_its_table(
    web_server: ThreadServer, web_api: Api, open_stand: OpenStand
) -> None:
    zone = _midday_zone()
    place = await web_api.restaurant("Midday", timezone=zone)
    nine, ten = await place.table("9", capacity=6), await place.table("10", capacity=4)
    castillo = await place.guest("Castillo", party_size=3, quoted_wait_minutes=15)
    dubois = await place.guest(
        "Dubois",
        party_size=2,
        kind="reservation",
        reserved_for=_stamp(_wall(zone, timedelta(minutes=10)), zone),
        held_table_id=ten["id"],
    )
    for table, guest in ((nine, castillo), (ten, dubois)):
        await place.api.ok(
            "POST", f"{place.path}/tables/{table['id']}/assign", json={"guest_id": guest["id"]}
        )
    stand = await open_stand(web_server.base_url, place.tokens["host"], **ELSEWHERE)
    form = stand.editing

    # A seated reservation's time and held table are history: only the party is edited.
    await stand.table("10").get_by_role("button", name="Edit Dubois").click()
    await expect(form.get_by_label("Name")).to_have_value("Dubois")
    for gone in ("Date and time", "Stay (minutes)", "Hold table"):
        await expect(form.get_by_label(gone)).to_be_hidden()
    await expect(form.get_by_text("Times are the restaurant's")).to_be_hidden()
    await form.get_by_role("button", name="Close").click()
    await expect(stand.button("Edit Dubois")).to_be_focused()

    await stand.table("9").get_by_role("button", name="Edit Castillo").click()
    await expect(form.get_by_role("heading")).to_have_text("Edit Castillo")
    await expect(form.get_by_label("Quote (minutes)")).to_be_hidden()
    await form.get_by_label("Party size").fill("5")
    await form.get_by_label("Notes").fill("Two more chairs")
    await form.get_by_role("button", name="Save changes").click()

    await expect(form).to_be_hidden()
    await expect(stand.table("9")).to_contain_text("party of 5")
    await expect(stand.button("Edit Castillo")).to_be_focused()
    saved = (await _guests(place))["Castillo"]
    assert (saved["party_size"], saved["notes"], saved["status"]) == (
        5,
        "Two more chairs",
        "seated",
    )
    assert saved["quoted_wait_minutes"] == 15


HISTORY = "a seated party's time, stay, held table and quote are history."


async def _dubois_due_at_table_10(place: Restaurant, zone: str) -> tuple[dict[str, Any], str]:
    """Dubois's reservation in ten minutes, holding table 10; the path that seats them there."""
    ten = await place.table("10", capacity=4)
    dubois = await place.guest(
        "Dubois",
        party_size=2,
        kind="reservation",
        reserved_for=_stamp(_wall(zone, timedelta(minutes=10)), zone),
        held_table_id=ten["id"],
    )
    return dubois, f"{place.path}/tables/{ten['id']}/assign"


async def test_an_open_edit_takes_a_seated_partys_shape_when_another_host_seats_them(
    web_server: ThreadServer, web_api: Api, open_stand: OpenStand
) -> None:
    zone = _midday_zone()
    place = await web_api.restaurant("Midday", timezone=zone)
    dubois, assign = await _dubois_due_at_table_10(place, zone)
    stand = await open_stand(web_server.base_url, place.tokens["host"], **CLOCKS)
    form = stand.editing
    await stand.button("Edit Dubois").click()
    await form.get_by_label("Date and time").fill(_wall(zone, timedelta(minutes=40)))
    await form.get_by_label("Notes").fill("Window seat")

    await place.client("host").ok("POST", assign, json={"guest_id": dubois["id"]})
    await expect(form.get_by_role("alert")).to_have_text(
        "Dubois was just seated by another host."
        f" Your change to the date and time is not kept: {HISTORY}"
    )
    for gone in ("Date and time", "Stay (minutes)", "Hold table"):
        await expect(form.get_by_label(gone)).to_be_hidden()
    await expect(form.get_by_label("Notes")).to_have_value("Window seat")
    await form.get_by_role("button", name="Save changes").click()

    await expect(form).to_be_hidden()
    saved = (await _guests(place))["Dubois"]
    assert (saved["status"], saved["notes"]) == ("seated", "Window seat")
    assert saved["reserved_for"] == dubois["reserved_for"]  # history, as the stand showed it


async def test_a_save_crossing_a_seating_is_not_made_on_top_of_the_seated_party(
    web_server: ThreadServer, web_api: Api, open_stand: OpenStand
) -> None:
    zone = _midday_zone()
    place = await web_api.restaurant("Midday", timezone=zone)
    dubois, assign = await _dubois_due_at_table_10(place, zone)
    gate = Gate()
    stand = await open_stand(web_server.base_url, place.tokens["host"], hook=gate, **CLOCKS)
    form = stand.editing
    await stand.button("Edit Dubois").click()
    await form.get_by_label("Date and time").fill(_wall(zone, timedelta(minutes=40)))
    await form.get_by_label("Notes").fill("Window seat")

    gate.closed = True  # the page does not hear of it: its save goes on the version before
    await place.client("host").ok("POST", assign, json={"guest_id": dubois["id"]})
    await form.get_by_role("button", name="Save changes").click()
    await expect(form.get_by_role("alert")).to_have_text(
        "Not saved: Dubois was just seated by another host."
        f" Your change to the date and time is not kept: {HISTORY} Check the form, then save again."
    )
    await expect(form.get_by_label("Date and time")).to_be_hidden()
    saved = (await _guests(place))["Dubois"]
    assert (saved["status"], saved["notes"], saved["version"]) == ("seated", None, 2)

    await form.get_by_role("button", name="Save changes").click()  # knowing it
    await expect(form).to_be_hidden()
    saved = (await _guests(place))["Dubois"]
    assert (saved["status"], saved["notes"]) == ("seated", "Window seat")
    assert saved["reserved_for"] == dubois["reserved_for"]
    gate.open()


async def test_a_held_table_removed_while_booking_is_named_and_another_can_be_chosen(
    web_server: ThreadServer, web_api: Api, open_stand: OpenStand
) -> None:
    zone = _midday_zone()
    place = await web_api.restaurant("Midday", timezone=zone)
    eight = await place.table("8", capacity=6)
    nine = await place.table("9", capacity=4)
    stand = await open_stand(web_server.base_url, place.tokens["host"], **CLOCKS)
    form = stand.booking
    held = form.get_by_label("Hold table")
    when = _wall(zone, timedelta(hours=2))
    await stand.start_booking("Dubois", 4, when)
    await held.select_option(label="8 · 6 seats")

    await place.api.ok("DELETE", f"{place.path}/tables/{eight['id']}", 204)  # the owner, elsewhere
    await expect(stand.table("8")).to_have_count(0)
    await expect(held.locator("option:checked")).to_have_text("8 · removed")
    await expect(held).to_have_accessible_description(
        "Table 8 was removed. Choose another table, or No table."
    )
    await form.get_by_role("button", name="Add reservation").click()
    await expect(form.get_by_role("alert")).to_have_text("Table 8 was removed by another host.")

    await held.select_option(label="9 · 4 seats")
    await expect(held).to_have_accessible_description("")
    await expect(held.locator("option")).to_have_text(["No table", "9 · 4 seats"])
    await form.get_by_role("button", name="Add reservation").click()
    await expect(form).to_be_hidden()
    await expect(stand.table("9")).to_contain_text(f"Held for Dubois at {when[11:]}")
    assert (await _guests(place))["Dubois"]["held_table_id"] == nine["id"]


async def test_one_save_is_enough_when_another_hosts_change_collides_with_nothing_typed(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    ames = await bistro.guest("Ames", party_size=2)
    gate = Gate()
    stand = await open_stand(web_server.base_url, bistro.tokens["host"], hook=gate)
    page = stand.page
    await stand.button("Edit Ames").click()
    form = stand.editing

    gate.closed = True  # the page does not hear of it: its form is on version 1
    await _another_host_edits(bistro, ames, {"status": "notified", "notes": "High chair"})
    await form.get_by_label("Party size").fill("5")
    sent: list[tuple[str | None, Any]] = []

    def record(request: Request) -> None:
        if request.method == "PATCH":
            sent.append((request.headers.get("if-match"), request.post_data_json))

    page.on("request", record)
    await form.get_by_role("button", name="Save changes").click()

    await expect(form).to_be_hidden()
    await expect(stand.waitlist_entry("Ames")).to_contain_text("party of 5")
    saved = (await _guests(bistro))["Ames"]
    assert (saved["party_size"], saved["notes"], saved["status"]) == (5, "High chair", "notified")
    assert sent == [('"1"', {"party_size": 5}), ('"2"', {"party_size": 5})]
    gate.open()


async def test_the_time_zone_hint_names_the_restaurants_zone_as_a_host_says_it(
    web_server: ThreadServer, web_api: Api, open_stand: OpenStand
) -> None:
    place = await web_api.restaurant("Chez Nous", timezone="Europe/Paris")
    away = await open_stand(web_server.base_url, place.tokens["host"], **ELSEWHERE)
    home = await open_stand(
        web_server.base_url, place.tokens["host"], **CLOCKS, timezone_id="Europe/Berlin"
    )
    now = datetime.now(UTC)
    offsets = [
        now.astimezone(ZoneInfo(z)).utcoffset() for z in ("Europe/Paris", "Pacific/Honolulu")
    ]
    hours = int((offsets[0] - offsets[1]).total_seconds()) // 3600  # type: ignore[operator]

    await away.button("Add a reservation…").click()
    await expect(away.booking.locator(".hint")).to_have_text(
        f"Times are the restaurant's: Paris time (Central European Time), {hours} hours ahead"
        " of this device."
    )
    await home.button("Add a reservation…").click()
    await expect(home.booking.locator(".hint")).to_have_text(
        "Times are the restaurant's: Paris time (Central European Time)."
    )


def _one_am_zone() -> str:
    """An IANA zone where it is one in the morning now: 03:07 is later today."""
    offset = (1 - datetime.now(UTC).hour + 12) % 24 - 12
    return f"Etc/GMT{-offset:+d}"  # POSIX sign: Etc/GMT+6 is six hours behind UTC


@pytest.mark.parametrize(
    ("locale", "clock"), [("en-GB", "03:07"), ("de-DE", "03:07"), ("en-US", "3:07 AM")]
)
async def test_times_read_as_the_devices_locale_writes_them_two_hour_digits_on_a_24_hour_clock(
    web_server: ThreadServer, web_api: Api, open_stand: OpenStand, locale: str, clock: str
) -> None:
    zone = _one_am_zone()
    place = await web_api.restaurant("Night Owl", timezone=zone)
    today = datetime.now(ZoneInfo(zone)).date()
    await place.guest(
        "Keyes", party_size=2, kind="reservation", reserved_for=_stamp(f"{today}T03:07", zone)
    )
    stand = await open_stand(web_server.base_url, place.tokens["host"], locale=locale)
    await expect(stand.reservation_entry("Keyes")).to_contain_text(f"Reservation {clock}")

    await stand.book("Lindqvist", 2, f"{today + timedelta(days=1)}T03:07")  # another day
    booked = re.compile(rf"^Lindqvist booked for .*\b{clock}\.$")
    await expect(stand.confirmation).to_have_text(booked)


async def test_an_edited_party_size_brings_its_turn_time_unless_the_stay_was_chosen(
    web_server: ThreadServer, web_api: Api, open_stand: OpenStand
) -> None:
    zone = _midday_zone()
    place = await web_api.restaurant("Midday", timezone=zone)
    when = _stamp(_wall(zone, timedelta(hours=3)), zone)
    await place.guest("Dubois", party_size=2, kind="reservation", reserved_for=when)
    await place.guest(
        "Haddad", party_size=2, kind="reservation", reserved_for=when, duration_minutes=150
    )
    stand = await open_stand(web_server.base_url, place.tokens["host"], **CLOCKS)
    form = stand.editing
    stay = form.get_by_label("Stay (minutes)")

    # Booked by party size (75 minutes for two): six people stay as six booked would, 105.
    await stand.button("Edit Dubois").click()
    await expect(stay).to_have_value("75")
    await form.get_by_label("Party size").fill("6")
    await expect(stay).to_have_value("105")
    await expect(stay).to_have_accessible_description(
        "Follows the party size: the turn time of a party of 6 (it was 75 minutes)."
    )
    async with stand.page.expect_request(lambda request: request.method == "PATCH") as sent:
        await form.get_by_role("button", name="Save changes").click()
    await expect(form).to_be_hidden()
    assert (await sent.value).post_data_json == {"party_size": 6, "duration_minutes": 105}
    dubois = (await _guests(place))["Dubois"]
    assert (dubois["party_size"], dubois["duration_minutes"]) == (6, 105)

    # A stay chosen by hand is the host's: it stays, and the form says what the turn time is.
    await stand.button("Edit Haddad").click()
    await form.get_by_label("Party size").fill("6")
    await expect(stay).to_have_value("150")
    await expect(stay).to_have_accessible_description(
        "Kept as it was chosen; by the turn times a party of 6 stays 105 minutes."
    )
    # And so is one the host types in this form, whatever the party size does next.
    await stay.fill("60")
    await form.get_by_label("Party size").fill("4")
    await expect(stay).to_have_value("60")
    await form.get_by_role("button", name="Save changes").click()
    await expect(form).to_be_hidden()
    haddad = (await _guests(place))["Haddad"]
    assert (haddad["party_size"], haddad["duration_minutes"]) == (4, 60)


async def test_closing_an_edit_with_unsaved_changes_asks_before_discarding_them(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    await bistro.guest("Ames", party_size=2)
    stand = await open_stand(web_server.base_url, bistro.tokens["host"])
    form = stand.editing
    question = form.get_by_role("alertdialog")
    notes = form.get_by_label("Notes")

    # Nothing typed: Close closes, without a question.
    await stand.button("Edit Ames").click()
    await form.get_by_role("button", name="Close").click()
    await expect(form).to_be_hidden()

    await stand.button("Edit Ames").click()
    await notes.fill("Allergic to nuts")
    for leave in ("Close", "Escape"):
        if leave == "Close":
            await form.get_by_role("button", name="Close").click()
        else:
            await notes.focus()
            await stand.page.keyboard.press("Escape")
        await expect(question).to_have_text(
            "Discard your changes to Ames?Discard changesKeep editing"
        )
        await expect(form.get_by_role("button", name="Keep editing")).to_be_focused()
        await expect(form).to_be_visible()
        await form.get_by_role("button", name="Keep editing").click()
        await expect(question).to_be_hidden()
        await expect(notes).to_have_value("Allergic to nuts")
        back = form.get_by_role("button", name="Close") if leave == "Close" else notes
        await expect(back).to_be_focused()  # where the host was

    # Escape asks, Escape on the question keeps the form, Escape asks again: no key slips through
    # to the dialog (Chromium lets a page refuse its cancel only once per user gesture).
    for _ in range(3):
        await stand.page.keyboard.press("Escape")
    await expect(question).to_be_visible()
    await stand.page.keyboard.press("Escape")
    await expect(question).to_be_hidden()
    await expect(form).to_be_visible()
    await expect(notes).to_have_value("Allergic to nuts")

    await form.get_by_role("button", name="Close").click()
    await form.get_by_role("button", name="Discard changes").click()
    await expect(form).to_be_hidden()
    await expect(stand.button("Edit Ames")).to_be_focused()
    assert (await _guests(bistro))["Ames"]["notes"] is None
    await stand.button("Edit Ames").click()
    await expect(notes).to_have_value("")  # discarded, as asked


# Close the edit form and open it again in one go: faster than a frame, as Escape then Enter on
# a busy tablet can be. The first closing's event then comes once the form is open again.
CLOSE_AND_REOPEN = """(guest) => {
    document.querySelector("#editing [data-close]").click();
    document.querySelector(`button[aria-label="Edit ${guest}"]`).click();
}"""


async def test_an_edit_closed_and_opened_again_at_once_still_saves_the_guest(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    await bistro.guest("Ames", party_size=2)
    stand = await open_stand(web_server.base_url, bistro.tokens["host"])
    form = stand.editing
    await stand.button("Edit Ames").click()
    await expect(form.get_by_label("Name")).to_be_focused()

    await stand.page.evaluate(CLOSE_AND_REOPEN, "Ames")
    await expect(form).to_be_visible()
    await expect(form.get_by_label("Name")).to_be_focused()
    await form.get_by_label("Party size").fill("5")
    await form.get_by_role("button", name="Save changes").click()
    await expect(form).to_be_hidden()
    await expect(stand.waitlist_entry("Ames")).to_contain_text("party of 5")
    await expect(stand.button("Edit Ames")).to_be_focused()
    assert (await _guests(bistro))["Ames"]["party_size"] == 5


async def test_the_hold_list_offers_only_tables_that_can_take_the_party(
    web_server: ThreadServer, web_api: Api, open_stand: OpenStand
) -> None:
    zone = _midday_zone()
    place = await web_api.restaurant("Midday", timezone=zone)
    await place.table("2", capacity=2)
    four = await place.table("4", capacity=4)
    six = await place.table("6", capacity=6)
    seven = await place.table("7", capacity=8)
    await place.api.ok(
        "PATCH", f"{place.path}/tables/{seven['id']}", json={"status": "out_of_service"}
    )
    stand = await open_stand(web_server.base_url, place.tokens["host"], **CLOCKS)
    form = stand.booking
    held = form.get_by_label("Hold table")
    await stand.start_booking("Dubois", 4, _wall(zone, timedelta(hours=2)))

    await expect(held.locator("option")).to_have_text(
        ["No table", "2 · 2 seats · too small", "4 · 4 seats", "6 · 6 seats", "7 · out of service"]
    )
    await expect(held.locator("option:not([disabled])")).to_have_text(
        ["No table", "4 · 4 seats", "6 · 6 seats"]
    )
    await held.select_option(label="4 · 4 seats")

    # The party grows after the table was chosen: it stays chosen, said to be too small.
    await form.get_by_label("Party size").fill("5")
    await expect(held).to_have_value(four["id"])
    await expect(held.locator("option:not([disabled])")).to_have_text(["No table", "6 · 6 seats"])
    await expect(held).to_have_accessible_description(
        "Table 4 has 4 seats, too few for a party of 5. Choose another table, or No table."
    )
    await held.select_option(label="6 · 6 seats")
    await expect(held).to_have_accessible_description("")

    # A table taken out of service meanwhile can no longer be chosen.
    await place.api.ok(
        "PATCH", f"{place.path}/tables/{six['id']}", json={"status": "out_of_service"}
    )
    await expect(held).to_have_accessible_description(
        "Table 6 is out of service. Choose another table, or No table."
    )
    await expect(held.locator("option:not([disabled])")).to_have_text(["No table"])


async def test_a_forms_error_lines_go_as_soon_as_the_host_edits_what_they_are_about(
    web_server: ThreadServer, web_api: Api, open_stand: OpenStand
) -> None:
    zone = _midday_zone()
    place = await web_api.restaurant("Midday", timezone=zone)
    first = await _marchetti_holds_table_8(place, zone, party_size=2)
    stand = await open_stand(web_server.base_url, place.tokens["host"], **CLOCKS)
    form = stand.booking
    error = form.get_by_role("alert")
    await stand.start_booking("Dubois", 2, "2100-01-01T19:00")
    await form.get_by_label("Phone").fill("555")
    await form.get_by_role("button", name="Add reservation").click()
    phone = "Check the phone number: use the international form, like +1 415 555 0123."
    when = "Date and time: must be in the years 2000 to 2099."
    await expect(error).to_have_text(f"{phone} {when}")

    # Each sentence goes with an edit of its own field, not of another.
    await form.get_by_label("Notes").fill("Window")
    await expect(error).to_have_text(f"{phone} {when}")
    await form.get_by_label("Phone").fill("+1 415 555 01")
    await expect(error).to_have_text(when)
    await form.get_by_label("Date and time").fill(first)
    await expect(error).to_have_text("")

    # A held table's clash goes when the time, the stay or the table changes.
    await form.get_by_label("Phone").fill("")
    await form.get_by_label("Hold table").select_option(label="8 · 6 seats")
    await form.get_by_role("button", name="Add reservation").click()
    await expect(error).to_contain_text("Table 8 is already held for Marchetti")
    await form.get_by_label("Name").fill("Dubois-Marchetti")
    await expect(error).to_contain_text("Table 8 is already held for Marchetti")
    await form.get_by_label("Stay (minutes)").fill("30")
    await expect(error).to_have_text("")
