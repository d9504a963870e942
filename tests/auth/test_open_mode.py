"""HOSTSTAND_AUTH=open for local development, and the settings that refuse unsafe starts."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

import pytest

from hoststand.config import SettingsError, load_settings
from tests.auth.processes import child_env, cli
from tests.auth.refusals import assert_unauthorized, bad_token
from tests.auth.sockets import first_message, open_socket
from tests.conftest import Api
from tests.servers import ProcessServer, ThreadServer

NOT_THIS_MACHINE = "192.0.2.1"  # TEST-NET-1: binding it fails at once, and nothing is sent


def sqlite_env(tmp_path: Path, **variables: str) -> dict[str, str]:
    """A child environment with a database file of its own."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'hoststand.db'}"
    return child_env(HOSTSTAND_DATABASE_URL=url, **variables)


async def test_open_mode_accepts_requests_and_sockets_without_a_token(
    start_server: Callable[..., ThreadServer],
) -> None:
    srv = start_server(auth="open")
    anonymous = Api(srv.base_url, token=None)
    try:
        created = await anonymous.ok("POST", "restaurants", 201, json={"name": "Laptop Diner"})
        rid = created["id"]
        await anonymous.ok(
            "POST", f"restaurants/{rid}/guests", 201, json={"name": "A", "party_size": 2}
        )
        snapshot = await anonymous.ok("GET", f"restaurants/{rid}/snapshot")
        assert len(snapshot["guests"]) == 1
        # The seed's URL, no token anywhere: what the iOS app does today.
        ws = await open_socket(srv.base_url, rid, None)
        async with ws:
            assert (await first_message(ws))["type"] == "connection_established"
        # A token that is sent is still checked: a wrong one is a mistake worth reporting.
        assert_unauthorized(await anonymous.as_token(bad_token()).request("GET", "restaurants"))
    finally:
        await anonymous.close()


def test_open_mode_warns_loudly_at_start_up(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    srv = ProcessServer(sqlite_env(tmp_path, HOSTSTAND_AUTH="open"), log_path=log)
    srv.start(migrate=True)
    srv.stop()
    text = log.read_text()
    warning = [line for line in text.splitlines() if "NO AUTHENTICATION" in line]
    assert warning, text
    assert "WARNING" in warning[0]
    assert "HOSTSTAND_AUTH=open" in warning[0]


@pytest.mark.parametrize("how", ["option", "environment"])
def test_open_mode_refuses_a_public_address(tmp_path: Path, how: str) -> None:
    env = sqlite_env(tmp_path, HOSTSTAND_AUTH="open")
    args = ["serve", "--no-migrate"]
    if how == "option":
        args += ["--host", "0.0.0.0"]
    else:
        env["HOSTSTAND_HOST"] = "0.0.0.0"
    done = cli(*args, env=env)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "HOSTSTAND_AUTH=open refuses to listen on '0.0.0.0'" in done.stderr
    assert "HOSTSTAND_ALLOW_OPEN_PUBLIC=1" in done.stderr


def test_open_mode_on_a_public_address_needs_the_explicit_switch(tmp_path: Path) -> None:
    # Past the check, the server goes on to bind; an address that is not this machine's fails
    # there (refused as a setting is), so nothing ever listens publicly during the test.
    env = sqlite_env(tmp_path, HOSTSTAND_AUTH="open", HOSTSTAND_ALLOW_OPEN_PUBLIC="1")
    done = cli("serve", "--host", NOT_THIS_MACHINE, env=env)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "refuses to listen" not in done.stderr
    assert f"cannot listen on {NOT_THIS_MACHINE}: no network interface" in done.stderr
    settings = load_settings(auth="open", host="0.0.0.0", allow_open_public=True)
    assert settings.auth == "open"


def test_the_default_is_tokens() -> None:
    assert load_settings().auth == "tokens"


@pytest.mark.parametrize("weak", ["changeme", "hunter2hunter2", "Tr0ub4dor&3"])
def test_a_weak_admin_token_stops_a_production_start(tmp_path: Path, weak: str) -> None:
    env = sqlite_env(tmp_path, HOSTSTAND_ENV="production", HOSTSTAND_ADMIN_TOKEN=weak)
    done = cli("serve", "--no-migrate", env=env)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "HOSTSTAND_ADMIN_TOKEN is weak or a well-known default" in done.stderr
    assert "HOSTSTAND_ENV=production" in done.stderr
    assert "secrets.token_urlsafe(32)" in done.stderr, "the message says how to fix it"
    assert weak not in done.stderr, "the refused token is not echoed"


def test_a_weak_admin_token_stops_a_start_on_a_public_address(tmp_path: Path) -> None:
    env = sqlite_env(tmp_path, HOSTSTAND_ADMIN_TOKEN="changeme")
    done = cli("serve", "--no-migrate", "--host", "0.0.0.0", env=env)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "refused on the non-loopback address '0.0.0.0'" in done.stderr


def test_which_admin_tokens_and_modes_start() -> None:
    strong = secrets.token_urlsafe(32)
    assert load_settings(env="production", admin_token=strong).admin_token is not None
    assert load_settings(env="production").admin_token is None  # the admin token is optional
    assert load_settings(admin_token="changeme").env == "dev"  # a laptop may keep it simple
    with pytest.raises(SettingsError, match="refused with HOSTSTAND_ENV=production"):
        load_settings(env="production", auth="open")
