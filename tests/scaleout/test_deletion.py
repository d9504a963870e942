"""A restaurant deleted through one instance closes its devices on the others within a poll.

The other instances are not told by the broker here (each has an in-process one), so only the
log poll can tell them; its full sweep is set to an hour, so only its change read can.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.commands import sqlite_url
from tests.scaleout.conftest import Clients, Launch
from tests.scaleout.devices import Device
from tests.servers import ADMIN_TOKEN, ProcessServer
from tests.waiting import eventually

# Far longer than a poll (0.5 s), far shorter than the sweep these instances never reach.
CLOSE_TIMEOUT = 30.0
NO_SWEEP = {"HOSTSTAND_LOG_SWEEP_INTERVAL_SECONDS": "3600"}


@pytest.fixture
def sqlite_pair(tmp_path: Path) -> Iterator[tuple[ProcessServer, ProcessServer]]:
    """Two `hoststand serve` processes on one SQLite file, each with the in-process broker."""
    env = {
        "HOSTSTAND_DATABASE_URL": sqlite_url(tmp_path / "shared.db"),
        "HOSTSTAND_BROKER_URL": "memory://",
        "HOSTSTAND_ADMIN_TOKEN": ADMIN_TOKEN,
        **NO_SWEEP,
    }
    first = ProcessServer(env, log_path=tmp_path / "instance-0.log")
    second = ProcessServer(env, log_path=tmp_path / "instance-1.log")
    try:
        first.start(migrate=True)
        second.start()
        yield first, second
    finally:
        first.stop()
        second.stop()


async def _deleting_closes_the_other_instances_devices(
    deleting: ProcessServer, other: ProcessServer, clients: Clients
) -> None:
    admin = clients(deleting)
    doomed = await admin.restaurant("Closing down")
    staying = await admin.restaurant("Staying")
    device = Device([other.base_url], doomed.id, doomed.tokens["viewer"]).start()
    survivor = Device([other.base_url], staying.id, staying.tokens["viewer"]).start()
    try:
        await device.wait_connected()
        await survivor.wait_connected()
        # A change the other instance can only learn of from its log poll: once its device has
        # it, that instance has polled, and its first poll (a full sweep) is behind it.
        await staying.guest("Before")
        await survivor.wait_for_seq((await staying.snapshot())["seq"], CLOSE_TIMEOUT)
        await admin.ok("DELETE", doomed.path, 204)
        await eventually(
            lambda: device.close_codes != [], "the device's close", timeout=CLOSE_TIMEOUT
        )
        # Closed by its instance for the deletion, not refused after some other drop.
        assert device.close_codes[0] == 4404, device.close_codes
        # The other restaurant's device stays connected, and still gets its events.
        guest = await staying.guest("After")
        await survivor.wait_for_seq((await staying.snapshot())["seq"], CLOSE_TIMEOUT)
        assert guest["id"] in survivor.messages[-1]
        assert survivor.close_codes == []
    finally:
        await device.stop()
        await survivor.stop()


async def test_a_restaurant_deleted_on_one_sqlite_instance_closes_its_devices_on_another(
    sqlite_pair: tuple[ProcessServer, ProcessServer], clients: Clients
) -> None:
    deleting, other = sqlite_pair
    await _deleting_closes_the_other_instances_devices(deleting, other, clients)


async def test_a_restaurant_deleted_on_one_postgres_instance_closes_its_devices_on_another(
    launch: Launch, clients: Clients
) -> None:
    # In-process brokers: as when the deletion's publish to Redis is lost.
    settings = {"log_sweep_interval_seconds": NO_SWEEP["HOSTSTAND_LOG_SWEEP_INTERVAL_SECONDS"]}
    deleting, other = launch("memory://", **settings), launch("memory://", **settings)
    await _deleting_closes_the_other_instances_devices(deleting, other, clients)
