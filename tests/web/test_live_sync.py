"""Two host stands of one restaurant stay in step; another restaurant's stand sees none of it.

On SQLite and PostgreSQL (the shared `server` fixture): the feed is what is tested here.
"""

from __future__ import annotations

from playwright.async_api import expect

from tests.conftest import Api, Restaurant
from tests.servers import ThreadServer
from tests.web.conftest import SYNC_TIMEOUT_MS, OpenStand


async def test_a_walk_in_and_a_seating_reach_the_other_stand_within_two_seconds(
    server: ThreadServer, api: Api, restaurant: Restaurant, open_stand: OpenStand
) -> None:
    await restaurant.table("12", capacity=4, section="Main", x=1, y=1)
    elsewhere = await api.restaurant("Chez Ailleurs")
    await elsewhere.table("E1", capacity=2)
    front = await open_stand(server.base_url, restaurant.tokens["host"])
    back = await open_stand(server.base_url, restaurant.tokens["host"])
    outsider = await open_stand(server.base_url, elsewhere.tokens["host"])

    await front.add_walk_in("Rivera", 2, quote=15)
    await expect(back.waitlist_entry("Rivera")).to_be_visible(timeout=SYNC_TIMEOUT_MS)
    await expect(back.waitlist_entry("Rivera")).to_contain_text("party of 2")

    await back.seat("Rivera", "12")
    tile = front.table("12")
    await expect(tile).to_have_attribute("data-status", "occupied", timeout=SYNC_TIMEOUT_MS)
    await expect(tile).to_contain_text("Rivera", timeout=SYNC_TIMEOUT_MS)
    await expect(front.waitlist_entry("Rivera")).to_have_count(0)

    # The outsider is live (its own restaurant's change arrives) ...
    await elsewhere.guest("Okafor", party_size=3)
    await expect(outsider.waitlist_entry("Okafor")).to_be_visible(timeout=SYNC_TIMEOUT_MS)
    # ... and never got a word of the first restaurant: not on screen, not on its socket.
    await expect(outsider.page.get_by_text("Rivera")).to_have_count(0)
    await expect(outsider.table("12")).to_have_count(0)
    assert outsider.frames, "the outsider's socket received nothing at all"
    leaked = [frame for frame in outsider.frames if restaurant.id in frame or "Rivera" in frame]
    assert leaked == []
