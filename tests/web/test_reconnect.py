"""The server restarts under a live page: it says so, comes back, and misses nothing."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from playwright.async_api import expect

from tests.conftest import Api, Backend, Restaurant
from tests.servers import ADMIN_TOKEN, ProcessServer, ThreadServer
from tests.web.conftest import SYNC_TIMEOUT_MS, OpenStand

BACK_LIVE_TIMEOUT_MS = 30_000  # the page's backoff may be several seconds long by then


async def test_the_page_reconnects_after_a_restart_and_shows_what_changed_meanwhile(
    tmp_path: Path, open_stand: OpenStand
) -> None:
    database = Backend("sqlite", f"sqlite+aiosqlite:///{tmp_path / 'restart.db'}")
    server = ProcessServer(
        {"HOSTSTAND_DATABASE_URL": database.url, "HOSTSTAND_ADMIN_TOKEN": ADMIN_TOKEN},
        log_path=tmp_path / "server.log",
    )
    await asyncio.to_thread(server.start, migrate=True)
    api = Api(server.base_url)
    try:
        bistro = await api.restaurant("Restart Bistro")
        await bistro.table("7", capacity=4)
        stand = await open_stand(server.base_url, bistro.tokens["host"])

        await asyncio.to_thread(server.stop)
        await expect(stand.connection).to_have_text("Reconnecting…")
        await _change_elsewhere(database, bistro)
        await asyncio.to_thread(server.start)  # the same port, the same SQLite file

        await expect(stand.connection).to_have_text("Live", timeout=BACK_LIVE_TIMEOUT_MS)
        await expect(stand.table("7")).to_have_attribute("data-status", "occupied")
        await expect(stand.table("7")).to_contain_text("Nakamura")
        await expect(stand.waitlist_entry("Adeyemi")).to_be_visible()
        # It resumed from its last seq and the server replayed the gap: no second snapshot.
        assert stand.count_requests("/snapshot") == 1
        greetings = [json.loads(f) for f in stand.frames if '"connection_established"' in f]
        assert [greeting["resumed"] for greeting in greetings] == [True, True]

        # And it goes on following the feed.
        await bistro.guest("Lindqvist", party_size=6)
        await expect(stand.waitlist_entry("Lindqvist")).to_be_visible(timeout=SYNC_TIMEOUT_MS)
    finally:
        await api.close()
        await asyncio.to_thread(server.stop)


async def _change_elsewhere(database: Backend, bistro: Restaurant) -> None:
    """Seat Nakamura at the only table and add Adeyemi, through another server instance."""
    other = await asyncio.to_thread(ThreadServer(database.settings()).start)
    host = Api(other.base_url, bistro.tokens["host"])
    try:
        guests, tables = f"{bistro.path}/guests", f"{bistro.path}/tables"
        guest = await host.ok("POST", guests, 201, json={"name": "Nakamura", "party_size": 4})
        (table,) = (await host.ok("GET", tables))["items"]
        await host.ok("POST", f"{tables}/{table['id']}/assign", json={"guest_id": guest["id"]})
        await host.ok("POST", guests, 201, json={"name": "Adeyemi", "party_size": 2})
    finally:
        await host.close()
        await asyncio.to_thread(other.stop)
