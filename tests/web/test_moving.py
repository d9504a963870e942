"""Moving a seated party to another table from the page: picked like a seating, live everywhere."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import expect

from tests.conftest import Restaurant
from tests.servers import ThreadServer
from tests.web.conftest import SYNC_TIMEOUT_MS, Gate, OpenStand


async def seated(restaurant: Restaurant, name: str, table: str, party_size: int = 2) -> None:
    """A party seated at a new table, through the API."""
    at = await restaurant.table(table, capacity=max(4, party_size))
    guest = await restaurant.guest(name, party_size=party_size)
    await restaurant.client("host").ok(
        "POST", f"{restaurant.path}/tables/{at['id']}/assign", json={"guest_id": guest["id"]}
    )


async def test_a_party_moved_at_one_stand_shows_at_its_new_table_on_the_other(
    server: ThreadServer, restaurant: Restaurant, open_stand: OpenStand, artifacts: Path
) -> None:
    await seated(restaurant, "Rivera", "12")
    await restaurant.table("14", capacity=4, section="Patio")
    front = await open_stand(server.base_url, restaurant.tokens["host"])
    back = await open_stand(server.base_url, restaurant.tokens["host"])
    await expect(back.table("12")).to_contain_text("Rivera")

    await front.button("Move the party at table 12").click()
    banner = front.page.locator("#seating-banner")
    await expect(banner).to_contain_text(
        "Move Rivera, party of 2, from table 12: choose their new table."
    )
    await expect(front.table("12")).to_have_class(re.compile(r"\bmoving-from\b"))
    await front.page.locator(".floor").screenshot(path=artifacts / "host-stand-moving.png")
    await front.button("Move Rivera to table 14").click()

    await expect(front.confirmation).to_have_text("Rivera moved to table 14.")
    await expect(banner).to_be_hidden()
    for stand in (front, back):
        new, old = stand.table("14"), stand.table("12")
        await expect(new).to_have_attribute("data-status", "occupied", timeout=SYNC_TIMEOUT_MS)
        await expect(new).to_contain_text("Rivera", timeout=SYNC_TIMEOUT_MS)
        await expect(old).to_have_attribute("data-status", "dirty", timeout=SYNC_TIMEOUT_MS)
        await expect(old).not_to_contain_text("Rivera")
        await expect(stand.button("Release table 14")).to_be_visible()
        await expect(stand.button("Mark clean: table 12")).to_be_visible()
    snapshot = await restaurant.snapshot()
    (guest,) = snapshot["guests"]
    assert guest["status"] == "seated"
    assert back.count_requests("/move") == 0


async def test_a_move_to_a_table_another_host_just_took_is_refused_in_words(
    server: ThreadServer, restaurant: Restaurant, open_stand: OpenStand
) -> None:
    await seated(restaurant, "Rivera", "12")
    await restaurant.table("14", capacity=4)
    okafor = await restaurant.guest("Okafor", party_size=3)
    gate = Gate()
    stand = await open_stand(server.base_url, restaurant.tokens["host"], hook=gate)
    await stand.button("Move the party at table 12").click()
    gate.closed = True  # the page does not hear of the other host's seating
    tables = await restaurant.api.ok("GET", f"{restaurant.path}/tables")
    fourteen = next(t for t in tables["items"] if t["label"] == "14")
    await restaurant.client("host").ok(
        "POST", f"{restaurant.path}/tables/{fourteen['id']}/assign", json={"guest_id": okafor["id"]}
    )

    await stand.button("Move Rivera to table 14").click()

    await expect(stand.refusal).to_have_text("Table 14 was just seated by another host.")
    await expect(stand.table("14")).to_contain_text("Okafor")
    await expect(stand.table("12")).to_contain_text("Rivera")
    await expect(stand.table("12")).to_have_attribute("data-status", "occupied")
    gate.open()


async def test_a_table_too_small_is_refused_and_the_host_may_move_them_anyway(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    await seated(bistro, "Haddad", "8", party_size=5)
    await bistro.table("2", capacity=2)
    stand = await open_stand(web_server.base_url, bistro.tokens["host"])

    await stand.button("Move the party at table 8").click()
    await expect(stand.table("2")).to_contain_text("Too small for 5")
    await stand.button("Move Haddad to table 2").click()

    await expect(stand.refusal).to_have_text("A party of 5 does not fit table 2 (2 seats).")
    await expect(stand.table("8")).to_have_attribute("data-status", "occupied")
    await stand.button("Move anyway").click()
    await expect(stand.confirmation).to_have_text("Haddad moved to table 2.")
    await expect(stand.table("2")).to_contain_text("Haddad")
    await expect(stand.table("8")).to_have_attribute("data-status", "dirty")


async def test_a_viewer_sees_no_move(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    await seated(bistro, "Lindqvist", "5")
    stand = await open_stand(web_server.base_url, bistro.tokens["viewer"])
    await expect(stand.table("5")).to_contain_text("Lindqvist")
    await expect(stand.button("Move the party at table 5")).to_have_count(0)


async def test_choosing_a_table_ends_when_another_host_releases_the_party_meanwhile(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    await seated(bistro, "Moreau", "9")
    await bistro.table("10", capacity=4)
    stand = await open_stand(web_server.base_url, bistro.tokens["host"])
    await stand.button("Move the party at table 9").click()
    await expect(stand.button("Move Moreau to table 10")).to_be_visible()

    tables = await bistro.api.ok("GET", f"{bistro.path}/tables")
    nine = next(t for t in tables["items"] if t["label"] == "9")
    await bistro.client("host").ok("POST", f"{bistro.path}/tables/{nine['id']}/release")

    await expect(stand.table("9")).to_have_attribute("data-status", "dirty")
    await expect(stand.page.locator("#seating-banner")).to_be_hidden()
    await expect(stand.button("Move Moreau to table 10")).to_have_count(0)
