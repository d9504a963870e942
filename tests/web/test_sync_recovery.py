"""The page's sync recipe under trouble: a lost event, and a server asking for a resync."""

from __future__ import annotations

import asyncio
import json

from playwright.async_api import Page, Route, WebSocketRoute, expect

from tests.conftest import Restaurant
from tests.servers import ThreadServer
from tests.web.conftest import Gate, OpenStand

FEED_EVENTS = {"guest_updated", "table_updated", "data_change"}


class Tamper(Gate):
    """Spoils the next feed event on its way to the page: drops it, or answers resync_required."""

    def __init__(self) -> None:
        super().__init__()
        self.next_event: str | None = None  # "drop" or "resync"

    def pass_on(self, route: WebSocketRoute, message: str | bytes) -> None:
        """Let messages through, except the one to spoil."""
        event = json.loads(message)
        if self.next_event and event.get("type") in FEED_EVENTS:
            spoil, self.next_event = self.next_event, None
            if spoil == "resync":
                route.send(
                    json.dumps(
                        {
                            "type": "resync_required",
                            "restaurant_id": event["restaurant_id"],
                            "seq": event["seq"],
                            "timestamp": event["timestamp"],
                        }
                    )
                )
            return
        super().pass_on(route, message)


async def test_a_lost_event_is_noticed_by_the_next_and_replayed_on_resume(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    tamper = Tamper()
    stand = await open_stand(web_server.base_url, bistro.tokens["host"], hook=tamper)
    tamper.next_event = "drop"
    await bistro.guest("Lost", party_size=2)
    await bistro.guest("Next", party_size=2)

    await expect(stand.waitlist_entry("Lost")).to_be_visible()
    await expect(stand.waitlist_entry("Next")).to_be_visible()
    await expect(stand.connection).to_have_text("Live")
    greetings = [json.loads(f) for f in stand.frames if '"connection_established"' in f]
    assert len(greetings) == 2, "the gap should have made the page reconnect and resume"
    assert greetings[-1]["resumed"] is True
    assert stand.count_requests("/snapshot") == 1


async def test_resync_required_makes_the_page_refetch_the_snapshot(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    tamper = Tamper()
    stand = await open_stand(web_server.base_url, bistro.tokens["host"], hook=tamper)
    tamper.next_event = "resync"
    await bistro.guest("Snapshot", party_size=4)

    await expect(stand.waitlist_entry("Snapshot")).to_be_visible()
    assert stand.count_requests("/snapshot") == 2
    # The same socket goes on: what follows arrives as events.
    await bistro.guest("After", party_size=2)
    await expect(stand.waitlist_entry("After")).to_be_visible()
    greetings = [f for f in stand.frames if '"connection_established"' in f]
    assert len(greetings) == 1


async def test_reconnect_delays_double_with_jitter_up_to_a_cap(
    web_server: ThreadServer, open_stand: OpenStand
) -> None:
    stand = await open_stand(web_server.base_url)
    low, high, after_reset = await stand.page.evaluate(
        """async () => {
            const { Backoff } = await import("./js/backoff.js");
            const run = (backoff, n) => Array.from({ length: n }, () => backoff.next());
            const low = new Backoff({ base: 500, cap: 10000, random: () => 0 });
            const high = new Backoff({ base: 500, cap: 10000, random: () => 1 });
            const reset = new Backoff({ base: 500, cap: 10000, random: () => 0 });
            run(reset, 5);
            reset.reset();
            return [run(low, 7), run(high, 7), run(reset, 1)];
        }"""
    )
    assert low == [250, 500, 1000, 2000, 4000, 5000, 5000]
    assert high == [500, 1000, 2000, 4000, 8000, 10000, 10000]
    assert after_reset == [250]


class LateSnapshot(Gate):
    """Holds the page's socket (a Gate) and, once armed, reads its next snapshot at once but
    delivers it late, when let go; the page's second write waits until that snapshot is read."""

    def __init__(self) -> None:
        super().__init__()
        self.armed = False
        self.writes = 0
        self.read = asyncio.Event()
        self.deliver = asyncio.Event()

    async def install(self, page: Page) -> None:
        """Route the socket, the snapshots and the writes."""
        await super().install(page)

        async def snapshot(route: Route) -> None:
            if not self.armed:
                await route.continue_()
                return
            self.armed = False
            response = await route.fetch()
            self.read.set()
            await self.deliver.wait()
            await route.fulfill(response=response)

        async def write(route: Route) -> None:
            if route.request.method == "PATCH":
                self.writes += 1
                if self.writes > 1:
                    await self.read.wait()  # the second lands after the snapshot was read
            await route.continue_()

        await page.route("**/snapshot", snapshot)
        await page.route("**/guests/*", write)


async def test_a_snapshot_read_before_the_pages_own_write_does_not_take_the_write_back(
    web_server: ThreadServer, bistro: Restaurant, open_stand: OpenStand
) -> None:
    ames = await bistro.guest("Ames", party_size=2)
    late = LateSnapshot()
    stand = await open_stand(web_server.base_url, bistro.tokens["host"], hook=late)
    page = stand.page
    await stand.button("Edit Ames").click()
    form = stand.editing

    late.closed = True
    change = {"notes": "High chair"}
    await bistro.client("host").ok("PATCH", f"{bistro.path}/guests/{ames['id']}", json=change)
    await form.get_by_label("Party size").fill("5")
    late.armed = True  # the 412 asks for a snapshot; the resent edit is answered before it lands
    await form.get_by_role("button", name="Save changes").click()
    await expect(form).to_be_hidden()
    await expect(stand.waitlist_entry("Ames")).to_contain_text("party of 5")
    async with page.expect_response("**/snapshot"):
        late.deliver.set()
    await page.evaluate(
        "new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
    )

    await expect(stand.waitlist_entry("Ames")).to_contain_text("party of 5")
    await expect(stand.waitlist_entry("Ames")).to_contain_text("High chair")
    late.open()
