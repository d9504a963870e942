"""Two hosts seat the same table at the same moment: one wins, the other is told and corrected.

On SQLite and PostgreSQL (the shared `server` fixture): each serialises a restaurant's writes
its own way.
"""

from __future__ import annotations

import asyncio

from playwright.async_api import expect

from tests.conftest import Restaurant
from tests.servers import ThreadServer
from tests.web.conftest import Gate, HostStand, OpenStand


async def test_one_seating_wins_and_the_other_host_sees_the_refusal_and_the_true_state(
    server: ThreadServer, restaurant: Restaurant, open_stand: OpenStand
) -> None:
    await restaurant.table("12", capacity=4)
    await restaurant.guest("Rivera", party_size=2)
    await restaurant.guest("Okafor", party_size=3)
    gates = {"Rivera": Gate(), "Okafor": Gate()}
    stands = {
        name: await open_stand(server.base_url, restaurant.tokens["host"], hook=gate)
        for name, gate in gates.items()
    }
    for name, stand in stands.items():
        await stand.button(f"Seat {name}").click()
    # Neither page hears of the other's seating: both still see table 12 free.
    for gate in gates.values():
        gate.closed = True

    await asyncio.gather(
        *(stand.button(f"Seat {name} at table 12").click() for name, stand in stands.items())
    )

    outcomes = {name: await _outcome(stand) for name, stand in stands.items()}
    assert sorted(outcomes.values()) == ["refused", "seated"], outcomes
    winner = next(name for name, outcome in outcomes.items() if outcome == "seated")
    loser = next(name for name, outcome in outcomes.items() if outcome == "refused")
    refused = stands[loser]
    await expect(refused.refusal).to_have_text("Table 12 was just seated by another host.")
    # The refused page shows the truth although its socket is still held back.
    assert gates[loser].held, "the test meant the refused page to be behind"
    await expect(refused.table("12")).to_have_attribute("data-status", "occupied")
    await expect(refused.table("12")).to_contain_text(winner)
    await expect(refused.waitlist_entry(winner)).to_have_count(0)
    await expect(refused.waitlist_entry(loser)).to_be_visible()

    for gate in gates.values():
        gate.open()
    snapshot = await restaurant.snapshot()
    (table,) = snapshot["tables"]
    seated = {g["name"] for g in snapshot["guests"] if g["status"] == "seated"}
    assert table["status"] == "occupied"
    assert seated == {winner}
    for stand in stands.values():
        await expect(stand.table("12")).to_contain_text(winner)
        await expect(stand.waitlist_entry(loser)).to_be_visible()
        await expect(stand.connection).to_have_text("Live")


async def _outcome(stand: HostStand) -> str:
    """Wait for the page's answer to its seating: a confirmation or a refusal."""
    notice = stand.page.locator(".notice")
    await expect(notice).to_have_count(1)
    return "seated" if await stand.confirmation.count() else "refused"
