"""The `hoststand` admin commands: restaurants, tokens and the demo, against real databases."""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from hoststand.config import Settings
from hoststand.store import migrate
from tests.auth.processes import backend_env, child_env, cli, cli_ok
from tests.auth.refusals import assert_error
from tests.auth.sockets import connect_message, first_message
from tests.auth.test_secrets_stay_secret import leaks
from tests.conftest import ADMIN_TOKEN, Api, Backend
from tests.servers import ThreadServer, free_port

UNKNOWN = "00000000-0000-4000-8000-00000000c11a"


def field(output: str, label: str) -> str:
    """The value printed after `label:`."""
    found = re.search(rf"^\s*{re.escape(label)}\s*:\s*(\S+)", output, re.MULTILINE)
    assert found, (label, output)
    return found.group(1)


async def test_restaurant_create_prints_an_owner_token_that_works(
    backend: Backend, server: ThreadServer
) -> None:
    out = cli_ok(
        "restaurant", "create", "Chez CLI", "--timezone", "Europe/Paris", env=backend_env(backend)
    )
    rid, secret = field(out, "restaurant id"), field(out, "owner token")
    assert secret.startswith("hs_")
    owner = Api(server.base_url, secret)
    try:
        restaurant = await owner.ok("GET", f"restaurants/{rid}")
        assert (restaurant["name"], restaurant["timezone"]) == ("Chez CLI", "Europe/Paris")
        await owner.ok(
            "POST", f"restaurants/{rid}/tokens", 201, json={"name": "iPad", "role": "host"}
        )
    finally:
        await owner.close()


def _listed(token_id: str, restaurant_id: str, env: dict[str, str]) -> str:
    listing = cli_ok("token", "list", "--restaurant", restaurant_id, env=env)
    return next(x for x in listing.splitlines() if x.startswith(token_id))


async def test_tokens_are_created_listed_and_revoked_from_the_cli(
    backend: Backend, server: ThreadServer
) -> None:
    env = backend_env(backend)
    rid = field(cli_ok("restaurant", "create", "Token Tavern", env=env), "restaurant id")
    out = cli_ok(
        "token", "create", "--restaurant", rid, "--role", "host", "--name", "iPad 1", env=env
    )
    token_id, secret = field(out, "token id"), field(out, "token")
    host = Api(server.base_url, secret)
    try:
        await host.ok("POST", f"restaurants/{rid}/guests", 201, json={"name": "A", "party_size": 2})
        assert_error(await host.request("GET", f"restaurants/{rid}/tokens"), 403, "forbidden")

        # The server records a token's use in the background, just after the request.
        deadline = time.monotonic() + 10
        while "last used" not in (line := _listed(token_id, rid, env)):
            assert time.monotonic() < deadline, f"the use was never recorded: {line}"
        listing = cli_ok("token", "list", "--restaurant", rid, env=env)
        assert re.search(r"\bhost\b.*\bactive\b.*iPad 1$", line), line
        # It was just used: when, in the UTC format of every timestamp (AUTHENTICATION.md, 5).
        assert re.search(r"\blast used \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\b", line), line
        owner_line = next(x for x in listing.splitlines() if re.search(r"\bowner\b", x))
        assert "never used" in owner_line, owner_line
        assert re.search(r"\bowner\b", listing)
        assert "hs_" not in listing

        assert cli_ok("token", "revoke", token_id, env=env).strip() == f"revoked {token_id}"
        listing = cli_ok("token", "list", "--restaurant", rid, env=env)
        line = next(x for x in listing.splitlines() if x.startswith(token_id))
        assert re.search(r"\brevoked \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\b", line), line
        # The server may trust a token it checked for token_cache_seconds (1 s) after another
        # process revoked it; then it is refused.
        deadline = time.monotonic() + 10
        while (await host.request("GET", f"restaurants/{rid}")).status_code != 401:
            assert time.monotonic() < deadline, "the CLI's revocation never took effect"
            await asyncio.sleep(0.05)
    finally:
        await host.close()


def test_the_cli_refuses_bad_input_with_a_clear_message(backend: Backend) -> None:
    env = backend_env(backend)
    missing = cli("token", "revoke", UNKNOWN, env=env)
    assert missing.returncode == 1
    assert f"token {UNKNOWN} not found" in missing.stderr
    nowhere = cli("token", "create", "--restaurant", UNKNOWN, "--name", "x", env=env)
    assert nowhere.returncode == 1
    assert f"restaurant {UNKNOWN} not found" in nowhere.stderr
    listed = cli("token", "list", "--restaurant", UNKNOWN, env=env)
    assert listed.returncode == 1, "a mistyped id must not look like a restaurant without tokens"
    assert f"restaurant {UNKNOWN} not found" in listed.stderr
    bad_zone = cli("restaurant", "create", "Mars Bar", "--timezone", "Mars/Olympus", env=env)
    assert bad_zone.returncode == 2
    assert "timezone" in bad_zone.stderr
    bad_role = cli(
        "token", "create", "--restaurant", UNKNOWN, "--name", "x", "--role", "admin", env=env
    )
    assert bad_role.returncode == 2
    assert "admin" in bad_role.stderr


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[ThreadServer]:
    """A server on a database of its own, where the demo restaurant does not exist yet."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    migrate.upgrade(url)
    srv = ThreadServer(Settings(database_url=url, admin_token=ADMIN_TOKEN)).start()  # type: ignore[call-arg]
    yield srv
    srv.stop()


async def test_demo_prints_a_host_token_and_the_url_to_connect_with(
    demo_server: ThreadServer,
) -> None:
    port = demo_server.base_url.rsplit(":", 1)[1]
    env = child_env(
        HOSTSTAND_DATABASE_URL=str(demo_server.settings.database_url), HOSTSTAND_PORT=port
    )
    first, again = cli_ok("demo", env=env), cli_ok("demo", env=env)
    assert "(created)" in first
    assert "(already there)" in again
    for out in (first, again):
        rid, secret, url = (
            field(out, "restaurant id"),
            field(out, "host token"),
            field(out, "Realtime"),
        )
        assert secret.startswith("hs_")
        assert url == f"ws://127.0.0.1:{port}/realtime?restaurant_id={rid}&token={secret}"
        async with connect(url) as ws:  # exactly as printed: the token rides in the URL
            await ws.send(connect_message(rid))
            hello = await first_message(ws)
        assert (hello["type"], hello["restaurant_id"]) == ("connection_established", rid)
        host = Api(demo_server.base_url, secret)
        try:
            snapshot = await host.ok("GET", f"restaurants/{rid}/snapshot")
            assert len(snapshot["tables"]) == 12
            assert_error(await host.request("GET", f"restaurants/{rid}/tokens"), 403, "forbidden")
        finally:
            await host.close()


# Every command that opens the database; `serve` migrates at start.
DATABASE_COMMANDS = [
    ("migrate",),
    ("demo",),
    ("restaurant", "create", "Nowhere"),
    ("token", "create", "--restaurant", UNKNOWN, "--name", "ipad"),
    ("token", "list", "--restaurant", UNKNOWN),
    ("token", "revoke", UNKNOWN),
    ("serve",),
]


@pytest.mark.parametrize(
    ("where", "said", "commands"),
    [
        pytest.param(
            "127.0.0.1:{port}", "connection refused", DATABASE_COMMANDS, id="nothing-listens"
        ),
        # The two ways in (migrating, and using it), not every command again.
        pytest.param(
            "db.invalid:{port}",
            "the host name does not resolve",
            [("migrate",), ("token", "list", "--restaurant", UNKNOWN)],
            id="no-such-host",
        ),
    ],
)
def test_commands_on_an_unreachable_database_say_why_without_its_url(
    where: str, said: str, commands: list[tuple[str, ...]]
) -> None:
    """The URL's password, and its host, port, user and database too, appear nowhere: in
    words, as /readyz says it (store.failures)."""
    password = secrets.token_urlsafe(24)
    port = str(free_port())
    host = where.format(port=port)
    url = f"postgresql+asyncpg://hsuser:{password}@{host}/hsdatabase"
    env = child_env(HOSTSTAND_DATABASE_URL=url, HOSTSTAND_PORT=str(free_port()))
    for args in commands:
        done = cli(*args, env=env)
        output = done.stdout + done.stderr
        assert done.returncode == 1, (args, output)
        doing = "migrate" if args[0] in {"migrate", "demo", "serve"} else "use"
        assert done.stderr.splitlines() == [
            f"hoststand: cannot {doing} the database of HOSTSTAND_DATABASE_URL: "
            f"database unreachable: {said}"
        ], args
        assert not leaks(password, output), args
        for part in (host.split(":")[0], port, "hsuser", "hsdatabase"):
            assert part not in output, (args, part)
