"""The `hoststand` command, run as a child process: migrate, demo, and serve's migrations."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import re
import secrets
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import orjson
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine
from websockets.client import ClientProtocol
from websockets.frames import Close, Frame, Opcode
from websockets.uri import parse_uri

from hoststand.realtime.client import ws_url
from hoststand.services.demo import DEMO_RESTAURANT_ID
from hoststand.store import migrate
from tests.commands import clean_env, hoststand, sqlite_url
from tests.conftest import POSTGRES_URL, REDIS_URL, Backend, _create_schema, service_missing
from tests.servers import ProcessServer, free_port

REPO = Path(__file__).parent.parent
SCHEMA_TABLES = {"restaurants", "tables", "guests", "events", "api_tokens", "idempotency_keys"}


def _query(path: Path, sql: str) -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql).fetchall()


def _table_names(path: Path) -> set[str]:
    return {str(name) for (name,) in _query(path, "SELECT name FROM sqlite_master")}


def _revision(path: Path) -> str | None:
    rows = _query(path, "SELECT version_num FROM alembic_version")
    return str(rows[0][0]) if rows else None


def test_migrate_creates_the_schema_in_a_fresh_sqlite_file(tmp_path: Path) -> None:
    done = hoststand("migrate", cwd=tmp_path, env=clean_env())
    assert done.returncode == 0, done.stderr
    assert "database is up to date" in done.stdout
    assert "Running upgrade  -> 0001" in done.stderr  # the operator sees what was applied
    assert "setup plugin" not in done.stderr
    database = tmp_path / "hoststand.db"  # the default HOSTSTAND_DATABASE_URL
    assert _table_names(database) >= SCHEMA_TABLES
    assert _revision(database) == migrate.head_revision()
    assert _query(database, "PRAGMA journal_mode") == [("wal",)]
    again = hoststand("migrate", cwd=tmp_path, env=clean_env())
    assert again.returncode == 0, again.stderr
    assert "Running upgrade" not in again.stderr
    assert _revision(database) == migrate.head_revision()


def test_migrate_reports_an_unreachable_database_without_a_traceback(tmp_path: Path) -> None:
    env = clean_env(HOSTSTAND_DATABASE_URL=sqlite_url(tmp_path / "no" / "such" / "dir.db"))
    done = hoststand("migrate", cwd=tmp_path, env=env)
    assert done.returncode == 1
    assert "cannot migrate the database of HOSTSTAND_DATABASE_URL" in done.stderr
    assert "does not exist" in done.stderr
    assert "Traceback" not in done.stderr


async def _postgres_tables(url: str, schema: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            query = "SELECT table_name FROM information_schema.tables WHERE table_schema = :s"
            rows = await conn.execute(sa.text(query), {"s": schema})
            return {str(name) for (name,) in rows}
    finally:
        await engine.dispose()


def test_migrate_creates_the_postgres_schema_it_is_told_to_use(tmp_path: Path) -> None:
    if not POSTGRES_URL:
        service_missing("PostgreSQL tests need HOSTSTAND_TEST_POSTGRES_URL")
    assert POSTGRES_URL is not None
    schema = f"hs_cli_{secrets.token_hex(4)}"  # a schema nobody created
    # As a platform hands it out: the plain scheme and libpq's sslmode.
    url = POSTGRES_URL.replace("postgresql+asyncpg://", "postgres://", 1) + "?sslmode=prefer"
    env = clean_env(HOSTSTAND_DATABASE_URL=url, HOSTSTAND_DATABASE_SCHEMA=schema)
    try:
        done = hoststand("migrate", cwd=tmp_path, env=env)
        assert done.returncode == 0, done.stderr
        # Not in `public`, where a schema that does not exist would have let them fall.
        assert asyncio.run(_postgres_tables(POSTGRES_URL, schema)) >= SCHEMA_TABLES
    finally:
        asyncio.run(_create_schema(POSTGRES_URL, schema, drop=True))


async def _create_database(url: str, name: str, *, drop: bool = False) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            verb = f"DROP DATABASE IF EXISTS {name}" if drop else f"CREATE DATABASE {name}"
            await conn.execute(sa.text(verb))
    finally:
        await engine.dispose()


def test_migrate_will_not_hide_tables_in_public_behind_a_new_schema(tmp_path: Path) -> None:
    if not POSTGRES_URL:
        service_missing("PostgreSQL tests need HOSTSTAND_TEST_POSTGRES_URL")
    assert POSTGRES_URL is not None
    # A database of its own: its `public` gets hoststand's tables, as from a release before
    # HOSTSTAND_DATABASE_SCHEMA created its schema.
    name = f"hs_cli_{secrets.token_hex(4)}"
    url = str(sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False))
    asyncio.run(_create_database(POSTGRES_URL, name))
    try:
        migrate.upgrade(url)
        env = clean_env(HOSTSTAND_DATABASE_URL=url, HOSTSTAND_DATABASE_SCHEMA="hoststand")
        done = hoststand("migrate", cwd=tmp_path, env=env)
        assert done.returncode == 1
        assert "HOSTSTAND_DATABASE_SCHEMA=hoststand does not exist" in done.stderr
        assert "Traceback" not in done.stderr
        assert asyncio.run(_postgres_tables(url, "hoststand")) == set()
    finally:
        asyncio.run(_create_database(POSTGRES_URL, name, drop=True))


class DemoRun:
    """What one `hoststand demo` printed."""

    def __init__(self, stdout: str) -> None:
        self.stdout = stdout
        found = re.search(r"restaurant id : (\S+)", stdout)
        token = re.search(r"host token    : (hs_\S+)", stdout)
        assert found, stdout
        assert token, stdout
        self.restaurant_id = found.group(1)
        self.token = token.group(1)


def _demo(cwd: Path, env: dict[str, str]) -> DemoRun:
    done = hoststand("demo", cwd=cwd, env=env)
    assert done.returncode == 0, done.stderr
    return DemoRun(done.stdout)


@pytest.fixture
def demo_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a demo on its own SQLite file."""
    return clean_env(HOSTSTAND_DATABASE_URL=sqlite_url(tmp_path / "demo.db"))


def test_demo_is_idempotent_and_prints_working_tokens(
    tmp_path: Path, demo_env: dict[str, str]
) -> None:
    first = _demo(tmp_path, demo_env)
    second = _demo(tmp_path, demo_env)
    assert '"Demo Bistro" (created)' in first.stdout
    assert '"Demo Bistro" (already there)' in second.stdout
    assert first.restaurant_id == second.restaurant_id == str(DEMO_RESTAURANT_ID)
    assert first.token != second.token
    assert _query(tmp_path / "demo.db", "SELECT count(*) FROM restaurants") == [(1,)]

    server = ProcessServer(env=demo_env, log_path=tmp_path / "serve.log").start()
    try:
        for token in (first.token, second.token):
            response = httpx.get(
                f"{server.base_url}/api/v1/restaurants/{first.restaurant_id}/snapshot",
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )
            assert response.status_code == 200, response.text
            snapshot = response.json()
            assert len(snapshot["tables"]) == 12
            assert len({t["label"] for t in snapshot["tables"]}) == 12
            assert {t["section"] for t in snapshot["tables"]} == {"Main", "Patio"}
            assert [g["status"] for g in snapshot["guests"]] == ["waiting"] * 3
    finally:
        server.stop()
    assert first.token in first.stdout.split("Snapshot")[1]  # the curl line is ready to paste


def _first_answer_to_an_eager_device(base_url: str, restaurant_id: str, token: str) -> str:
    """The type of the first message a device gets that sends its restaurant_connect in the
    same send() as its upgrade request, without waiting for the 101."""
    url = ws_url(base_url, restaurant_id, None, "header")
    client = ClientProtocol(parse_uri(url))
    request = client.connect()
    request.headers["Authorization"] = f"Bearer {token}"
    client.send_request(request)
    hello = orjson.dumps({"type": "restaurant_connect", "restaurant_id": restaurant_id})
    frame = Frame(Opcode.TEXT, hello).serialize(mask=True)
    with socket.create_connection(("127.0.0.1", int(base_url.rsplit(":", 1)[1])), 10) as sock:
        sock.sendall(b"".join(client.data_to_send()) + frame)
        while True:
            data = sock.recv(65536)
            assert data, "the server closed the connection"
            client.receive_data(data)
            for event in client.events_received():
                if isinstance(event, Frame) and event.opcode is Opcode.CLOSE:
                    return f"closed: {Close.parse(event.data)}"
                if isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                    return str(orjson.loads(event.data)["type"])


def test_serve_answers_a_device_that_does_not_wait_for_the_upgrade(
    tmp_path: Path, demo_env: dict[str, str]
) -> None:
    demo = _demo(tmp_path, demo_env)
    server = ProcessServer(env=demo_env, log_path=tmp_path / "serve.log").start()
    try:
        answer = _first_answer_to_an_eager_device(server.base_url, demo.restaurant_id, demo.token)
    finally:
        server.stop()
    assert answer == "connection_established"


def test_demo_prints_a_tail_command_that_runs_where_it_was_run(
    tmp_path: Path, demo_env: dict[str, str]
) -> None:
    # As after `make run`: `hoststand` is in the virtualenv, which is not on PATH.
    installed = Path(sys.executable).parent / "hoststand"
    assert installed.exists()
    without = {**demo_env, "PATH": "/usr/bin:/bin"}
    follow = re.compile(r"Follow it +: (.+) tail --url ")
    found = follow.search(_demo(tmp_path, without).stdout)
    assert found, "no tail command"
    assert Path(found.group(1)).samefile(installed)
    with_it = {**demo_env, "PATH": f"{installed.parent}{os.pathsep}/usr/bin:/bin"}
    found = follow.search(_demo(tmp_path, with_it).stdout)
    assert found, "no tail command"
    assert found.group(1) == "hoststand"


def test_serve_applies_pending_migrations_at_start(tmp_path: Path) -> None:
    database = tmp_path / "fresh.db"
    server = ProcessServer(
        env={"HOSTSTAND_DATABASE_URL": sqlite_url(database)}, log_path=tmp_path / "serve.log"
    )
    server.start(migrate=True)
    try:
        ready = httpx.get(f"{server.base_url}/readyz", timeout=5)
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"]["schema"] == "ok"
    finally:
        server.stop()
    assert _revision(database) == migrate.head_revision()


def test_serve_with_no_migrate_leaves_the_schema_alone(tmp_path: Path) -> None:
    database = tmp_path / "fresh.db"
    server = ProcessServer(
        env={"HOSTSTAND_DATABASE_URL": sqlite_url(database)}, log_path=tmp_path / "serve.log"
    )
    server.start(migrate=False)
    try:
        assert httpx.get(f"{server.base_url}/healthz", timeout=5).status_code == 200
        ready = httpx.get(f"{server.base_url}/readyz", timeout=5)
        assert ready.status_code == 503, ready.text
        assert "hoststand migrate" in ready.json()["checks"]["schema"]
    finally:
        server.stop()
    assert "alembic_version" not in _table_names(database)
    assert not SCHEMA_TABLES & _table_names(database)


@pytest.mark.parametrize("named", ["HOSTSTAND_PORT", "PORT", "--port"])
def test_serve_on_a_port_in_use_says_which_and_what_to_change(tmp_path: Path, named: str) -> None:
    database = tmp_path / "never.db"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = clean_env(HOSTSTAND_DATABASE_URL=sqlite_url(database))
        args = ["serve"]
        if named == "--port":
            args += ["--port", str(port)]
        else:
            env[named] = str(port)
        done = hoststand(*args, cwd=tmp_path, env=env)
    assert done.returncode == 2, done.stderr  # as for every setting refused at start
    assert done.stderr.splitlines() == [
        f"hoststand: port {port} on 127.0.0.1 is in use: set {named} to a free port, "
        "or stop the process that listens there"
    ]
    assert not database.exists()  # refused before migrating or starting anything


def test_make_run_on_a_port_in_use_writes_nothing(tmp_path: Path) -> None:
    """A second `make run` while the first still serves: no demo, no token, no database."""
    database = tmp_path / "never.db"
    bin_dir = Path(sys.executable).parent  # the tests' virtualenv, wherever it is
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = clean_env(HOSTSTAND_DATABASE_URL=sqlite_url(database), HOSTSTAND_PORT=str(port))
        # -o: the install step is not remade (it is the test run's own virtualenv).
        make = ["make", "-C", str(REPO), "-o", ".venv/.installed", f"BIN={bin_dir}", "run"]
        done = subprocess.run(make, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0, done.stdout
    assert f"port {port} on 127.0.0.1 is in use" in done.stderr
    assert "host token" not in done.stdout
    assert not database.exists()  # refused before migrating or creating anything


def test_serve_on_an_address_of_no_interface_here_says_to_change_the_host(tmp_path: Path) -> None:
    env = clean_env(
        HOSTSTAND_DATABASE_URL=sqlite_url(tmp_path / "never.db"),
        HOSTSTAND_HOST="192.0.2.1",  # TEST-NET-1: no machine has it
        HOSTSTAND_PORT=str(free_port()),
    )
    done = hoststand("serve", cwd=tmp_path, env=env)
    assert done.returncode == 2, done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("hoststand: cannot listen on 192.0.2.1: ")
    assert "set HOSTSTAND_HOST" in line


def test_restaurant_create_prints_an_id_and_an_owner_token(tmp_path: Path) -> None:
    env = clean_env(HOSTSTAND_DATABASE_URL=sqlite_url(tmp_path / "admin.db"))
    assert hoststand("migrate", cwd=tmp_path, env=env).returncode == 0
    done = hoststand(
        "restaurant", "create", "Chez CLI", "--timezone", "Europe/Paris", cwd=tmp_path, env=env
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r"restaurant id: [0-9a-f-]{36}\nowner token:   hs_\S+", done.stdout)
    rows = _query(tmp_path / "admin.db", "SELECT name, timezone FROM restaurants")
    assert rows == [("Chez CLI", "Europe/Paris")]
    refused = hoststand(
        "restaurant", "create", "Nowhere", "--timezone", "Mars/Base", cwd=tmp_path, env=env
    )
    assert refused.returncode == 2
    assert "timezone" in refused.stderr


def test_a_command_on_an_unmigrated_database_says_to_migrate(tmp_path: Path) -> None:
    env = clean_env(HOSTSTAND_DATABASE_URL=sqlite_url(tmp_path / "empty.db"))
    done = hoststand("restaurant", "create", "Too early", cwd=tmp_path, env=env)
    assert done.returncode == 1
    assert "hoststand migrate" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_command_on_an_unreachable_database_does_not_blame_migrations(tmp_path: Path) -> None:
    env = clean_env(HOSTSTAND_DATABASE_URL=sqlite_url(tmp_path / "no" / "such" / "dir.db"))
    done = hoststand("restaurant", "create", "Nowhere", cwd=tmp_path, env=env)
    assert done.returncode == 1
    assert "cannot use the database of HOSTSTAND_DATABASE_URL" in done.stderr
    assert f"the directory {tmp_path / 'no' / 'such'} of the SQLite file does not exist" in (
        done.stderr
    )
    assert "migrate" not in done.stderr  # migrating cannot help: it cannot reach it either
    assert "Traceback" not in done.stderr


def test_a_verifying_sslmode_without_a_root_certificate_says_where_to_put_one(
    tmp_path: Path,
) -> None:
    # asyncpg refuses before it connects: no server needed, and none is reached.
    url = "postgres://u:sekret@127.0.0.1:1/hoststand?sslmode=verify-full"
    env = clean_env(HOSTSTAND_DATABASE_URL=url, HOME=str(tmp_path))
    env.pop("PGSSLROOTCERT", None)
    done = hoststand("migrate", cwd=tmp_path, env=env)
    assert done.returncode == 1
    assert (
        "database unreachable: sslmode verify-ca and verify-full need the server's root "
        "certificate: put it in ~/.postgresql/root.crt"
    ) in done.stderr
    assert "PGSSLROOTCERT" in done.stderr
    assert "Traceback" not in done.stderr
    assert "sekret" not in done.stderr + done.stdout


def test_serve_freezes_what_exists_and_collects_young_garbage_rarely() -> None:
    from hoststand import cli

    threshold = gc.get_threshold()
    try:
        cli._collect_garbage_rarely(10_000)
        assert gc.get_threshold() == (10_000, 20, 10)
        assert gc.get_freeze_count() > 1_000  # the imported modules, functions and classes
        gc.unfreeze()
        gc.set_threshold(*threshold)
        cli._collect_garbage_rarely(0)  # HOSTSTAND_GC_YOUNG_THRESHOLD=0: CPython's thresholds
        assert gc.get_threshold() == threshold
        assert gc.get_freeze_count() > 1_000
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


@pytest.mark.parametrize(
    "url", ["htp:/127.0.0.1:8000", "127.0.0.1:8000", "http://", "ws://127.0.0.1:8000"]
)
def test_tail_refuses_a_url_it_could_never_reach(tmp_path: Path, url: str) -> None:
    rid = str(DEMO_RESTAURANT_ID)
    args = ("tail", "--url", url, "--restaurant", rid, "--token", "hs_x")
    done = hoststand(*args, cwd=tmp_path, env=clean_env(), timeout=20)
    assert done.returncode == 2, done.stderr
    assert "--url" in done.stderr


def test_serve_on_postgresql_with_the_in_process_broker_warns_it_is_for_one_instance(
    tmp_path: Path, postgres_backend: Backend
) -> None:
    env = {"HOSTSTAND_DATABASE_URL": postgres_backend.url}
    if postgres_backend.schema:
        env["HOSTSTAND_DATABASE_SCHEMA"] = postgres_backend.schema
    for name, broker in (("memory", "memory://"), ("redis", REDIS_URL)):
        if broker is None:
            service_missing("the Redis half needs HOSTSTAND_TEST_REDIS_URL")
        log = tmp_path / f"{name}.log"
        ProcessServer(env={**env, "HOSTSTAND_BROKER_URL": broker}, log_path=log).start().stop()
        warned = "right for one instance only" in log.read_text()
        assert warned == (name == "memory"), log.read_text()
