"""A busy evening on the host stand, photographed for people (test-artifacts/, the README)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.async_api import Page, expect

from tests.conftest import Api, Restaurant
from tests.servers import ThreadServer
from tests.web.conftest import OpenStand
from tests.web.test_actions import _midday_zone

# The page's clock runs this far ahead, so parties have waited 25 minutes: the half minute
# absorbs the seconds the set-up takes after `now` (timestamps have whole seconds).
LOOK_AHEAD = timedelta(minutes=25, seconds=30)
PHOTO = {"width": 1180, "height": 1400}


class ClockAhead:
    """Sets the page's clock ahead, so that waits and seatings have minutes on them."""

    def __init__(self, now: datetime) -> None:
        self.at = now + LOOK_AHEAD

    async def install(self, page: Page) -> None:
        """Fix the page's time (timers keep running)."""
        await page.clock.set_fixed_time(self.at)


def _at(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def _furnish(place: Restaurant, now: datetime) -> None:
    tables: dict[str, dict[str, Any]] = {}
    for n in range(1, 9):
        label = str(n)
        tables[label] = await place.table(
            label,
            capacity=6 if n % 3 == 0 else 4,
            section="Main",
            x=1 + (n - 1) % 4,
            y=1 + (n - 1) // 4,
        )
    for n in range(1, 5):
        label = f"Patio {n}"
        tables[label] = await place.table(
            label, capacity=2 if n % 2 else 4, section="Patio", x=n, y=1
        )
    path = place.path

    async def seat(label: str, name: str, size: int) -> None:
        guest = await place.guest(name, party_size=size)
        await place.api.ok(
            "POST", f"{path}/tables/{tables[label]['id']}/assign", json={"guest_id": guest["id"]}
        )

    await seat("1", "Nakamura", 4)
    await seat("3", "Olsen", 5)
    await seat("Patio 2", "Park", 2)
    await seat("6", "Quist", 3)
    await place.api.ok("POST", f"{path}/tables/{tables['6']['id']}/release")
    await place.api.ok(
        "PATCH", f"{path}/tables/{tables['Patio 4']['id']}", json={"status": "out_of_service"}
    )
    await place.guest(
        "Marchetti",
        party_size=4,  # table 8 seats four: a larger party would need override_hold
        kind="reservation",
        reserved_for=_at(now + timedelta(minutes=70)),
        held_table_id=tables["8"]["id"],
        tags=["anniversary"],
    )
    await place.api.ok("PATCH", f"{path}/tables/{tables['8']['id']}", json={"status": "reserved"})
    await place.guest(
        "Dubois", party_size=2, kind="reservation", reserved_for=_at(now + timedelta(minutes=85))
    )
    await place.guest(
        "Haddad",
        party_size=4,
        kind="reservation",
        reserved_for=_at(now + timedelta(minutes=140)),
        notes="Wheelchair access",
    )
    await place.guest("Rivera", party_size=2, quoted_wait_minutes=10, tags=["window"])
    okafor = await place.guest("Okafor", party_size=4, quoted_wait_minutes=30)
    await place.api.ok("PATCH", f"{path}/guests/{okafor['id']}", json={"status": "notified"})
    await place.guest(
        "Lindqvist",
        party_size=6,
        quoted_wait_minutes=45,
        tags=["birthday"],
        notes="Bringing a cake",
    )
    await place.guest("Chen", party_size=3, quoted_wait_minutes=20, phone="+14155550123")


async def test_a_busy_evening_photographed(
    web_server: ThreadServer, web_api: Api, open_stand: OpenStand, artifacts: Path
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    place = await web_api.restaurant("Bistro Lumière", timezone=_midday_zone())
    await _furnish(place, now)
    # Tall enough for the whole evening: the waitlist and the floor scroll inside the window.
    stand = await open_stand(
        web_server.base_url, place.tokens["host"], hook=ClockAhead(now), viewport=PHOTO
    )
    page = stand.page

    late, on_time = stand.waitlist_entry("Rivera"), stand.waitlist_entry("Lindqvist")
    await expect(late).to_contain_text("waited 25 of 10 min")
    await expect(late.locator(".badge.late")).to_be_visible()
    await expect(on_time).to_contain_text("waited 25 of 45 min")
    await expect(on_time.locator(".badge.late")).to_be_hidden()
    await expect(stand.table("1")).to_contain_text("seated 25 min")
    await expect(stand.table("8")).to_contain_text("Held for Marchetti")
    await expect(page.locator("#reservations .guest-name")).to_have_text(
        ["Marchetti", "Dubois", "Haddad"]
    )
    await expect(page.locator("#summary")).to_have_text("4 waiting · 6 of 12 tables free")

    await expect(page.locator("#waitlist .guest-name")).to_have_text(
        ["Rivera", "Okafor", "Lindqvist", "Chen"]
    )

    await page.screenshot(path=artifacts / "host-stand.png", full_page=True)
    await page.locator("#floor").screenshot(path=artifacts / "floor.png")
    await page.locator(".queue").screenshot(path=artifacts / "waitlist.png")
    await stand.button("Seat Rivera").click()
    await page.screenshot(path=artifacts / "host-stand-seating.png", full_page=True)
    await stand.button("Cancel seating").click()

    await stand.button("Add a reservation…").click()
    await stand.booking.get_by_label("Name").fill("Fontaine")
    await stand.booking.get_by_label("Party size").fill("5")
    await stand.booking.get_by_label("Notes").fill("Called at 17:40; a high chair")
    await page.screenshot(path=artifacts / "host-stand-booking.png")
    await stand.booking.get_by_role("button", name="Close").click()

    (okafor,) = [g for g in (await place.snapshot())["guests"] if g["name"] == "Okafor"]
    await stand.button("Edit Okafor").click()
    await stand.editing.get_by_label("Party size").fill("5")
    change = {"party_size": 6, "notes": "Two more coming"}
    await place.api.ok("PATCH", f"{place.path}/guests/{okafor['id']}", json=change)
    await expect(stand.editing.get_by_role("alert")).to_contain_text("Another host just changed")
    await page.screenshot(path=artifacts / "host-stand-editing.png")
