"""The application's route table, flattened: what the route-walking tests iterate over."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from fastapi import FastAPI
from starlette.routing import BaseRoute, Mount, WebSocketRoute

from hoststand.app import create_app
from hoststand.config import Settings

try:
    from fastapi.routing import iter_route_contexts
except ImportError:  # FastAPI before 0.16x flattened included routers into app.routes itself

    def iter_route_contexts(routes: Iterable[BaseRoute]) -> Iterator[BaseRoute]:  # type: ignore[misc]
        """The routes as they are."""
        return iter(routes)


WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_PARAM = re.compile(r"{([^}:]+)(?::[^}]+)?}")


@dataclass(frozen=True, order=True)
class Endpoint:
    """One method of one route (or a socket or a mount, with method '')."""

    kind: str  # "http", "websocket" or "mount"
    method: str
    path: str

    @property
    def params(self) -> list[str]:
        """The names of its path parameters, in order."""
        return _PARAM.findall(self.path)

    @property
    def is_write(self) -> bool:
        """True for methods that change something."""
        return self.method in WRITE_METHODS

    def url(self, values: dict[str, str]) -> str:
        """The path with each parameter replaced by values[name]."""
        return _PARAM.sub(lambda m: values[m.group(1)], self.path)

    def __str__(self) -> str:
        return f"{self.method or self.kind} {self.path or '/'}"


def endpoints(app: FastAPI) -> list[Endpoint]:
    """Every endpoint in the app's route table, included routers expanded."""
    found = set()
    for context in iter_route_contexts(app.routes):
        route = getattr(context, "original_route", context)
        path = str(getattr(context, "path", ""))
        if isinstance(route, Mount):
            found.add(Endpoint("mount", "", path))
        elif isinstance(route, WebSocketRoute):
            found.add(Endpoint("websocket", "", path))
        else:
            methods = getattr(context, "methods", None) or set()
            found.update(Endpoint("http", m, path) for m in methods if m != "HEAD")
    return sorted(found)


def application_endpoints() -> list[Endpoint]:
    """The endpoints of the app hoststand serves (building it opens nothing)."""
    return endpoints(create_app(Settings(database_url="sqlite+aiosqlite://")))
