"""Where the fuzz test points its generated requests: two restaurants, one of them not ours.

Made-up ids name nothing, so nearly every generated request would end in a 404 before it
reached a handler. Most requests are pointed at "home", whose owner token they carry; some
at the "stranger", whose data that token must never read or change; the rest keep their
made-up ids. The choice is a hash of the generated request, so a run is repeatable.
"""

from __future__ import annotations

import json
import re
import uuid
import zlib
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import httpx
from schemathesis import Case, Response

from tests.servers import ADMIN_TOKEN


class Aim(StrEnum):
    """Whose ids a request names."""

    HOME = "home"
    STRANGER = "stranger"  # the stranger's restaurant and its things
    MIXED = "mixed"  # our restaurant, one of the stranger's things (in the path or the body)
    MADE_UP = "made_up"  # the generated ids, or ids that are not UUIDs at all


# Five in eight requests reach home's handlers; the stranger is tried in two in eight.
AIMS = (Aim.HOME,) * 5 + (Aim.STRANGER, Aim.MIXED, Aim.MADE_UP)
# Body fields holding an id, and the path parameter that names the same kind of thing.
BODY_IDS = {"guest_id": "guest_id", "held_table_id": "table_id", "to_table_id": "to_table_id"}
# What a request naming the stranger's things may get: validation comes before the handler,
# and an id of another restaurant is answered as an unknown one.
REFUSED_STRANGERS = frozenset({404, 422})
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@dataclass
class Tenant:
    """A restaurant's ids (as tests/auth/tenants.py names them) and its owner token."""

    ids: dict[str, str]
    owner_token: str


def _is_uuid(value: object) -> bool:
    # Only the form `format: uuid` means: a looser one (braces, no hyphens) was generated to
    # be refused, and replacing it would make the fuzzer expect a refusal of a valid id.
    return isinstance(value, str) and UUID.fullmatch(value) is not None


class Targets:
    """The home and stranger restaurants of one server, kept populated while fuzzed."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.admin = httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30
        )
        self.home = self._tenant("Fuzz Home")
        self.stranger = self._tenant("Fuzz Stranger")
        self.stranger_seq = self.seq(self.stranger)
        # The table and party of home's last release: what a reseat can bring back.
        self.released: dict[str, str] = {}
        self.answers: Counter[tuple[str, int]] = Counter()

    def close(self) -> None:
        """Close the admin client."""
        self.admin.close()

    def _ok(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.admin.request(method, f"/api/v1/{path}", json=body)
        assert response.is_success, (method, path, response.status_code, response.text)
        return response.json()

    def _tenant(self, name: str) -> Tenant:
        rid = self._ok("POST", "restaurants", {"name": name})["id"]
        owner = self._ok("POST", f"restaurants/{rid}/tokens", {"name": "owner", "role": "owner"})
        ids = {"restaurant_id": rid}
        self._replenish(ids, ("table_id", "guest_id", "token_id", "to_table_id"))
        return Tenant(ids, owner["token"])

    def _replenish(self, ids: dict[str, str], names: tuple[str, ...]) -> None:
        # What a successful DELETE removed comes back, so later requests still reach a handler.
        base = f"restaurants/{ids['restaurant_id']}"
        bodies = {
            "table_id": ("tables", {"label": f"T{uuid.uuid4().hex[:6]}", "capacity": 4}),
            # Where a move takes the party seated at table_id: another table.
            "to_table_id": ("tables", {"label": f"M{uuid.uuid4().hex[:6]}", "capacity": 4}),
            "guest_id": ("guests", {"name": "Rivera", "party_size": 2}),
            "token_id": ("tokens", {"name": "spare", "role": "viewer"}),
        }
        for name in names:
            kind, body = bodies[name]
            ids[name] = self._ok("POST", f"{base}/{kind}", body)["id"]

    def seq(self, tenant: Tenant) -> int:
        """The restaurant's latest event seq."""
        return int(self._ok("GET", f"restaurants/{tenant.ids['restaurant_id']}/snapshot")["seq"])

    def aim(self, case: Case) -> Aim:
        """Point the case's ids at home, at the stranger, or nowhere; which one it was."""
        params = case.path_parameters or {}
        if params and not all(_is_uuid(v) for v in params.values()):
            return Aim.MADE_UP
        request = [params, case.query, case.body, dict(case.headers or {})]
        aim = AIMS[zlib.crc32(json.dumps(request, sort_keys=True, default=str).encode()) % 8]
        if aim is Aim.MADE_UP:
            return aim
        if not params:  # the routes that name no restaurant
            return Aim.HOME
        body = case.body if isinstance(case.body, dict) else {}
        body_ids = [field for field in BODY_IDS if _is_uuid(body.get(field))]
        if aim is Aim.MIXED and len(params) == 1 and not body_ids:
            aim = Aim.HOME  # nothing but the restaurant to name: no mix to make
        restaurant = self.stranger if aim is Aim.STRANGER else self.home
        things = self.home if aim is Aim.HOME else self.stranger
        for name in params:
            params[name] = (restaurant if name == "restaurant_id" else things).ids[name]
        for field in body_ids:
            body[field] = things.ids[BODY_IDS[field]]
        if aim is Aim.HOME and case.path.endswith("/reseat") and self.released:
            params["table_id"] = self.released["table_id"]
            if "guest_id" in body_ids:
                body["guest_id"] = self.released["guest_id"]
        return aim

    def headers(self, case: Case) -> dict[str, str]:
        """Home's owner token; the admin token where only the admin may go."""
        operation = case.operation
        admin = operation.method.upper() == "POST" and operation.path == "/api/v1/restaurants"
        return {"Authorization": f"Bearer {ADMIN_TOKEN if admin else self.home.owner_token}"}

    def upkeep(self, case: Case, response: Response) -> None:
        """Note the answer; bring back what a successful DELETE took from home."""
        self.answers[(case.operation.label, response.status_code)] += 1
        if case.path.endswith("/release") and response.status_code == 200:
            # The guest has left and the table needs cleaning: fresh ones can be seated again,
            # and the ones that left brought back by a reseat.
            left = response.json()
            if left.get("guest"):
                self.released = {"table_id": left["table"]["id"], "guest_id": left["guest"]["id"]}
            self._replenish(self.home.ids, ("table_id", "guest_id"))
        if case.path.endswith("/reseat") and response.status_code == 200:
            self.released = {}  # back at its table, which home's ids no longer name: left there
        if case.path.endswith("/move") and response.status_code == 200:
            # The party sits at to_table_id now: that is the table to release, and the next
            # move needs another free table.
            self.home.ids["table_id"] = self.home.ids["to_table_id"]
            self._replenish(self.home.ids, ("to_table_id",))
        if case.method != "DELETE" or response.status_code != 204:
            return
        gone = case.path.rsplit("/", 1)[-1].strip("{}")
        if gone == "restaurant_id":
            if case.path_parameters["restaurant_id"] == self.home.ids["restaurant_id"]:
                self.home = self._tenant("Fuzz Home")
        elif case.path_parameters[gone] == self.home.ids[gone]:
            self._replenish(self.home.ids, (gone,))

    def check_refused(
        self, case: Case, aim: Aim, response: Response, headers: dict[str, str]
    ) -> None:
        """A request naming the stranger's things is refused, and changed nothing of theirs."""
        if aim not in (Aim.STRANGER, Aim.MIXED):
            return
        sent = response.request
        ours = sent.headers.get("Authorization") == headers["Authorization"]
        if ours and sent.method == case.operation.method.upper():
            assert response.status_code in REFUSED_STRANGERS, (aim, response.status_code)
        else:  # a probe without our token, or with a method the path does not have
            assert not 200 <= response.status_code < 300, (aim, response.status_code)
        assert self.seq(self.stranger) == self.stranger_seq, "the stranger's data changed"

    def never_succeeded(self) -> list[str]:
        """The operations fuzzed so far that no request got a 2xx from."""
        succeeded = {op for (op, status) in self.answers if 200 <= status < 300}
        return sorted({op for (op, _) in self.answers} - succeeded)
