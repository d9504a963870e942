"""Restaurants made for the authentication tests, with one of each thing a path can name."""

from __future__ import annotations

from dataclasses import dataclass

from tests.conftest import Api, Restaurant


@dataclass
class Tenant:
    """A restaurant with one of each thing a path can name, and its role tokens."""

    restaurant: Restaurant
    ids: dict[str, str]

    @property
    def id(self) -> str:
        """The restaurant id."""
        return self.restaurant.id

    def client(self, role: str) -> Api:
        """An API client with this restaurant's token of `role`."""
        return self.restaurant.client(role)

    async def seq(self) -> int:
        """The restaurant's latest seq: unchanged means no refused request changed anything."""
        snapshot = await self.restaurant.snapshot()
        return int(snapshot["seq"])


async def make_tenant(api: Api, name: str) -> Tenant:
    """A restaurant with a table, a waiting guest and a spare token."""
    restaurant = await api.restaurant(name)
    table = await restaurant.table("1", capacity=4)
    guest = await restaurant.guest("Rivera", party_size=2)
    spare = await api.ok(
        "POST", f"{restaurant.path}/tokens", 201, json={"name": "spare", "role": "viewer"}
    )
    ids = {
        "restaurant_id": restaurant.id,
        "table_id": table["id"],
        "guest_id": guest["id"],
        "token_id": spare["id"],
    }
    return Tenant(restaurant, ids)
