"""The page's sync recipe under trouble: a lost event, and a server asking for a resync."""

from __future__ import annotations

import json

from playwright.async_api import WebSocketRoute, expect

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
