"""The `hoststand` command: serve, migrate, demo data, restaurants and tokens, tail the feed."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import math
import shutil
import socket
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar
from urllib.parse import urlsplit

import typer
import uvicorn
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, ProgrammingError

from hoststand import listening
from hoststand.config import Settings, SettingsError, load_settings, variable_name
from hoststand.domain.access import Principal, Role
from hoststand.domain.clock import format_timestamp
from hoststand.domain.errors import DomainError, not_found
from hoststand.services import demo as demo_service
from hoststand.services import restaurants, tokens
from hoststand.services.commands import RestaurantCreate, TokenCreate
from hoststand.services.context import ServiceContext

app = typer.Typer(
    help="hoststand: the real-time backend for restaurant host stands.",
    no_args_is_help=True,
    # Locals in a traceback would print the database URL, password included.
    pretty_exceptions_show_locals=False,
)
restaurant_app = typer.Typer(help="Manage restaurants.", no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)
app.add_typer(restaurant_app, name="restaurant")
app.add_typer(token_app, name="token")

CLI = Principal(token_id=None, name="cli", role=Role.OWNER, restaurant_id=None, is_admin=True)
T = TypeVar("T")


def _settings(**overrides: object) -> Settings:
    try:
        return load_settings(**{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as exc:
        typer.secho(f"hoststand: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None


def _database_failed(doing: str, exc: Exception) -> typer.Exit:
    typer.secho(
        f"hoststand: cannot {doing} the database of HOSTSTAND_DATABASE_URL: {_what_failed(exc)}",
        fg=typer.colors.RED,
        err=True,
    )
    return typer.Exit(1)


def _what_failed(exc: Exception) -> str:
    """What went wrong, in the words /readyz and the server's logs use (store.failures).

    Not the driver's message: it may name the URL's host, port, user or database, and a
    driver's message could carry the URL itself, password and all.
    """
    from hoststand.store import failures, migrate

    if isinstance(exc, migrate.MissingDirectory):
        return str(exc)  # hoststand's own words, naming a directory of this machine
    said = f"database {failures.describe(exc)}"
    # A database that answers but refuses a statement (a column missing, say) may be behind.
    if isinstance(exc, ProgrammingError) and failures.MIGRATE not in said:
        said += f" (is it migrated? {failures.MIGRATE})"
    return said


def _migrate(settings: Settings) -> None:
    from hoststand.store import migrate

    try:
        migrate.upgrade(settings.database_url, schema=settings.database_schema)
    except (OSError, DBAPIError) as exc:
        raise _database_failed("migrate", exc) from None


def _run(settings: Settings, work: Callable[[ServiceContext], Awaitable[T]]) -> T:
    """Run one use case against the configured database, outside any server."""
    from hoststand.bus import create_broker
    from hoststand.store import migrate
    from hoststand.store.database import Database

    async def main() -> T:
        db = Database(settings.database_url, schema=settings.database_schema, pool_size=2)
        broker = create_broker(settings.broker_url)
        await broker.start(lambda _payload: None)
        try:
            return await work(ServiceContext(db=db, broker=broker, settings=settings))
        finally:
            await broker.close()
            await db.close()

    try:
        migrate.check_sqlite_directory(settings.database_url)
        return asyncio.run(main())
    except DomainError as exc:
        typer.secho(f"hoststand: {exc.message}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        typer.secho(f"hoststand: invalid input: {problems}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    except (OSError, DBAPIError) as exc:
        raise _database_failed("use", exc) from None


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind [HOSTSTAND_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="Port [HOSTSTAND_PORT or PORT]")] = None,
    migrate: Annotated[bool, typer.Option(help="Apply pending migrations first")] = True,
    demo: Annotated[
        bool, typer.Option(help="Create the demo restaurant and print a host token first")
    ] = False,
) -> None:
    """Run the server (applies pending migrations first unless --no-migrate).

    With --demo (`make run`) it also creates the demo restaurant and prints a host token, once
    it holds its address and before it serves.
    """
    from hoststand import logs
    from hoststand.app import create_app
    from hoststand.realtime import protocol, upgrade

    settings = _settings(host=host, port=port)
    secret = settings.admin_token.get_secret_value() if settings.admin_token else ""
    logs.configure(settings.log_level, settings.log_format, secrets=(secret,))
    sockets = _listen(
        settings,
        host_setting="--host" if host is not None else variable_name("host"),
        port_setting="--port" if port is not None else variable_name("port"),
    )
    # Only once the address is ours: a second `make run` on a busy port writes no token.
    if migrate or demo:
        _migrate(settings)
    if demo:
        _print_demo(settings)
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http=upgrade.SERVED_BY,  # httptools, keeping what follows an upgrade request
        ws=protocol.SERVED_BY,  # websockets-sansio, leaner per idle device
        ws_max_size=settings.ws_max_message_bytes,
        ws_ping_interval=settings.ws_ping_interval_seconds,
        ws_ping_timeout=settings.ws_ping_timeout_seconds,
        ws_per_message_deflate=settings.ws_compression,
        log_config=None,
        log_level=settings.log_level,
        proxy_headers=settings.forwarded_allow_ips is not None,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        # Rounded up: uvicorn takes whole seconds, and 0.5 s must not become 0 (no grace).
        timeout_graceful_shutdown=math.ceil(settings.shutdown_timeout_seconds),
    )
    _collect_garbage_rarely(settings.gc_young_threshold)
    listening.Server(config, sockets).serve_forever()


def _listen(settings: Settings, *, host_setting: str, port_setting: str) -> list[socket.socket]:
    # Before migrating or starting anything: a busy port is refused as a setting is.
    try:
        return listening.bind(
            settings.host, settings.port, host_setting=host_setting, port_setting=port_setting
        )
    except listening.CannotListen as exc:
        typer.secho(f"hoststand: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None


def _collect_garbage_rarely(young_threshold: int) -> None:
    """Keep CPython's cycle collector from taking a server with thousands of sockets.

    Every device holds a few hundred long-lived objects. With the default thresholds (700, 10,
    10) a young collection ran every 700 allocations and a full one, walking every object of
    every device and everything imported, often enough to take half the server's CPU in a
    reconnect storm (docs/BENCHMARKS.md, "Garbage collection"). What exists before serving is
    frozen out of the collections for good, and young collections wait for `young_threshold`
    new objects (0 keeps CPython's thresholds).
    """
    gc.collect()
    gc.freeze()
    if young_threshold:
        gc.set_threshold(young_threshold, 20, 10)


@app.command("migrate")
def migrate_command() -> None:
    """Apply pending database migrations."""
    from hoststand import logs

    settings = _settings()
    # Alembic logs each migration it applies: the operator sees what changed, as under serve.
    logs.configure(settings.log_level, settings.log_format)
    _migrate(settings)
    typer.echo("database is up to date")


@app.command()
def demo() -> None:
    """Create the demo restaurant (once) and print a fresh host token and how to use it."""
    settings = _settings()
    _migrate(settings)
    _print_demo(settings)


def _print_demo(settings: Settings) -> None:
    """Create the demo restaurant if it is not there, issue a host token, say how to use it."""
    result = _run(settings, lambda ctx: demo_service.ensure_demo(ctx, principal=CLI))
    rid, secret = result.restaurant.id, result.host_token.secret
    base = f"http://{_display_host(settings.host)}:{settings.port}"
    ws = base.replace("http", "ws", 1)
    state = "created" if result.created else "already there"
    typer.echo(
        f"""
Demo restaurant "{result.restaurant.name}" ({state})
  restaurant id : {rid}
  host token    : {secret}

  Web page      : {base}/   (sign in with the token)
  API docs      : {base}/docs
  Snapshot      : curl -H "Authorization: Bearer {secret}" {base}/api/v1/restaurants/{rid}/snapshot
  Realtime      : {ws}/realtime?restaurant_id={rid}&token={secret}
  Follow it     : {_runnable_name()} tail --url {base} --restaurant {rid} --token {secret}
"""
    )


def _display_host(host: str) -> str:
    return "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host


def _runnable_name() -> str:
    """`hoststand` when PATH finds this one, else its path (a virtualenv not activated)."""
    script = Path(sys.executable).parent / "hoststand"
    on_path = shutil.which("hoststand")
    if not script.exists() or (on_path and Path(on_path).samefile(script)):
        return "hoststand"
    with contextlib.suppress(ValueError):
        return str(script.relative_to(Path.cwd()))  # `.venv/bin/hoststand` after `make run`
    return str(script)


@restaurant_app.command("create")
def restaurant_create(
    name: str,
    timezone: Annotated[str, typer.Option(help="IANA time zone, e.g. Europe/Paris")] = "UTC",
) -> None:
    """Create a restaurant; prints its id and an owner token (shown once)."""
    settings = _settings()

    async def work(ctx: ServiceContext) -> tuple[uuid.UUID, str]:
        restaurant = await restaurants.create(
            ctx, principal=CLI, command=RestaurantCreate(name=name, timezone=timezone)
        )
        issued = await tokens.create(
            ctx,
            principal=CLI,
            restaurant_id=restaurant.id,
            command=TokenCreate(name="owner", role=Role.OWNER),
        )
        return restaurant.id, issued.secret

    rid, secret = _run(settings, work)
    typer.echo(f"restaurant id: {rid}\nowner token:   {secret}\n(the token is shown only now)")


@token_app.command("create")
def token_create(
    restaurant: Annotated[uuid.UUID, typer.Option(help="Restaurant id")],
    name: Annotated[str, typer.Option(help='Who or what uses it, e.g. "Host iPad 1"')],
    role: Annotated[Role, typer.Option(help="owner, host or viewer")] = Role.HOST,
) -> None:
    """Issue a token for a restaurant; the secret is printed once."""
    settings = _settings()
    issued = _run(
        settings,
        lambda ctx: tokens.create(
            ctx, principal=CLI, restaurant_id=restaurant, command=TokenCreate(name=name, role=role)
        ),
    )
    typer.echo(
        f"token id: {issued.token.id}\ntoken:    {issued.secret}\n(the token is shown only now)"
    )


@token_app.command("list")
def token_list(restaurant: Annotated[uuid.UUID, typer.Option(help="Restaurant id")]) -> None:
    """List a restaurant's tokens (never their secrets): role, state, last use (UTC), name."""
    settings = _settings()
    items = _run(settings, lambda ctx: tokens.page(ctx, principal=CLI, restaurant_id=restaurant))
    for t in items:
        state = f"revoked {format_timestamp(t.revoked_at)}" if t.revoked_at else "active"
        used = f"last used {format_timestamp(t.last_used_at)}" if t.last_used_at else "never used"
        typer.echo(f"{t.id}  {t.role.value:<6}  {state:<28}  {used:<30}  {t.name}")


@token_app.command("revoke")
def token_revoke(token_id: uuid.UUID) -> None:
    """Revoke a token; servers close its sockets within about a second."""
    settings = _settings()

    async def work(ctx: ServiceContext) -> None:
        restaurant_id = await tokens.find_restaurant(ctx, token_id=token_id)
        if restaurant_id is None:
            raise not_found("token", token_id)
        await tokens.revoke(ctx, principal=CLI, restaurant_id=restaurant_id, token_id=token_id)

    _run(settings, work)
    typer.echo(f"revoked {token_id}")


@app.command()
def tail(
    url: Annotated[str, typer.Option(help="Server base URL, e.g. http://127.0.0.1:8000")],
    restaurant: Annotated[uuid.UUID, typer.Option(help="Restaurant id")],
    token: Annotated[str, typer.Option(help="API token", envvar="HOSTSTAND_TOKEN")],
    json_output: Annotated[bool, typer.Option("--json", help="Print raw JSON messages")] = False,
) -> None:
    """Follow a restaurant's feed as a device does, one readable line per event."""
    from hoststand.realtime.tail import run_tail

    # The follower retries every connection error forever, so a URL no retry can fix is
    # refused here rather than printed as an endless "reconnecting".
    parsed = urlsplit(url)
    if parsed.scheme not in {"http", "https"} or not parsed.hostname:
        raise typer.BadParameter(
            "expected the server's base URL, e.g. http://127.0.0.1:8000", param_hint="--url"
        )

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_tail(url=url, restaurant_id=restaurant, token=token, raw=json_output))


if __name__ == "__main__":
    app()
