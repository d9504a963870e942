"""The shortest path through the API, on every database."""

from __future__ import annotations

from tests.conftest import Api, Restaurant


async def test_health_answers_without_a_token(api: Api) -> None:
    assert (await api.as_token(None).ok("GET", "/healthz")) == {"status": "ok"}
    ready = await api.as_token(None).ok("GET", "/readyz")
    assert ready["checks"]["database"] == "ok"


async def test_a_walk_in_is_seated_and_released(restaurant: Restaurant) -> None:
    table = await restaurant.table("12", capacity=4)
    guest = await restaurant.guest("Rivera", party_size=2)
    host = restaurant.client("host")
    seated = await host.ok(
        "POST", f"{restaurant.path}/tables/{table['id']}/assign", json={"guest_id": guest["id"]}
    )
    assert seated["table"]["status"] == "occupied"
    assert seated["guest"]["status"] == "seated"
    released = await host.ok("POST", f"{restaurant.path}/tables/{table['id']}/release")
    assert released["table"]["status"] == "dirty"
    assert released["guest"]["status"] == "completed"
    snapshot = await restaurant.snapshot()
    # 3 tokens issued, a table, a guest, then two events each for assign and release
    assert snapshot["seq"] == 9
