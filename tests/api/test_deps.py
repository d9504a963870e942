"""What FastAPI solves per request: each dependency costs ~15 us of CPU on every call."""

from __future__ import annotations

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts

from hoststand.api.deps import Bearer, CallerDep, CursorDep
from hoststand.api.routes import me
from hoststand.app import create_app
from hoststand.config import Settings

PREFIX = "/api/v1/restaurants/{restaurant_id}"


def _solved(dependant: Dependant) -> int:
    return 1 + sum(_solved(sub) for sub in dependant.dependencies)


def _dependants() -> dict[tuple[str, str], Dependant]:
    app = create_app(Settings(database_url="sqlite+aiosqlite://"))
    found = {}
    for context in iter_route_contexts(app.routes):
        dependant = getattr(context, "dependant", None)
        for method in getattr(context, "methods", None) or ():
            if dependant is not None:
                found[method, str(getattr(context, "path", ""))] = dependant
    return found


def test_a_guest_or_table_write_solves_two_dependencies_with_the_route() -> None:
    # The route, and WriterDep: the bearer check with If-Match and Idempotency-Key.
    dependants = _dependants()
    for write in [
        ("PATCH", f"{PREFIX}/guests/{{guest_id}}"),
        ("PATCH", f"{PREFIX}/tables/{{table_id}}"),
        ("POST", f"{PREFIX}/tables/{{table_id}}/assign"),
        ("POST", f"{PREFIX}/tables/{{table_id}}/release"),
    ]:
        assert _solved(dependants[write]) == 2, write


def test_every_api_route_checks_the_bearer_token_first_with_one_dependency() -> None:
    for (method, path), dependant in _dependants().items():
        if path.startswith("/api/v1/"):
            bearer = dependant.dependencies[0]
            assert isinstance(bearer.call, Bearer), (method, path)
            assert not bearer.dependencies, (method, path)


def test_an_api_route_that_does_not_check_the_token_first_stops_the_app_being_built() -> None:
    async def leak() -> dict[str, str]:
        return {}

    async def late(cursor: CursorDep, caller: CallerDep) -> dict[str, str]:
        return {}

    for endpoint in (leak, late):
        me.router.add_api_route("/leak", endpoint, methods=["GET"])
        try:
            with pytest.raises(RuntimeError, match="/api/v1/me/leak: its first dependency"):
                create_app(Settings(database_url="sqlite+aiosqlite://"))
        finally:
            me.router.routes.pop()
