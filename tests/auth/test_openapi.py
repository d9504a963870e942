"""The OpenAPI page: the bearer scheme on every /api/v1 operation and only there; its order."""

from __future__ import annotations

from typing import Any

from tests.auth.walker import API_PREFIX
from tests.conftest import Api


async def test_every_api_operation_requires_the_bearer_scheme(api: Api) -> None:
    page: dict[str, Any] = await api.as_token(None).ok("GET", "/openapi.json")
    schemes = page["components"]["securitySchemes"]
    bearer = [name for name, s in schemes.items() if s == {**s, "type": "http", "scheme": "bearer"}]
    assert len(bearer) == 1, schemes
    scheme = bearer[0]
    assert "hs_" in schemes[scheme]["description"]
    api_operations = 0
    for path, operations in page["paths"].items():
        for method, operation in operations.items():
            security = operation.get("security")
            if path.startswith(API_PREFIX):
                api_operations += 1
                assert security == [{scheme: []}], (method, path, security)
            else:
                assert security is None, (method, path, security)
    assert api_operations >= 1


async def test_the_docs_page_is_served(api: Api) -> None:
    response = await api.as_token(None).request("GET", "/docs")
    assert response.status_code == 200
    assert "/openapi.json" in response.text


async def test_the_paths_are_listed_section_by_section_in_the_pages_order(api: Api) -> None:
    # The app matches its routers in another order (hot routes first); the page keeps its own.
    page: dict[str, Any] = await api.as_token(None).ok("GET", "/openapi.json")
    sections = [
        operation["tags"][0] for path in page["paths"].values() for operation in path.values()
    ]
    listed = list(dict.fromkeys(sections))
    assert listed == ["restaurants", "tables", "guests", "sync", "tokens", "health"]
    assert sections == sorted(sections, key=listed.index), sections
