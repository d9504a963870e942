"""Every event says who made the change."""

from __future__ import annotations

from tests.conflicts.conftest import all_events
from tests.conftest import Restaurant


async def test_every_event_records_the_token_that_made_the_change(restaurant: Restaurant) -> None:
    tokens = await restaurant.api.ok("GET", f"{restaurant.path}/tokens")
    ids = {t["name"]: t["id"] for t in tokens["items"]}
    owner, host = restaurant.client("owner"), restaurant.client("host")
    seen = len(await all_events(restaurant))

    table = await owner.ok(
        "POST", f"{restaurant.path}/tables", 201, json={"label": "A", "capacity": 2}
    )
    guest = await host.ok(
        "POST", f"{restaurant.path}/guests", 201, json={"name": "A", "party_size": 2}
    )
    await host.ok(
        "POST", f"{restaurant.path}/tables/{table['id']}/assign", json={"guest_id": guest["id"]}
    )
    await restaurant.api.ok("PATCH", f"{restaurant.path}/guests/{guest['id']}", json={"notes": "n"})

    events = (await all_events(restaurant))[seen:]
    actors = [(e["type"], e["action"], e["actor"]) for e in events]
    by_owner = {"token_id": ids["owner device"], "name": "owner device", "role": "owner"}
    by_host = {"token_id": ids["host device"], "name": "host device", "role": "host"}
    admin = {"token_id": None, "name": "admin", "role": "admin"}
    assert actors == [
        ("table_updated", "created", by_owner),
        ("guest_updated", "created", by_host),
        ("table_updated", "assigned", by_host),
        ("guest_updated", "status_changed", by_host),
        ("guest_updated", "updated", admin),
    ]
    for client in (owner, host):
        await client.close()
