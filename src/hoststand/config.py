"""Every setting of hoststand, read from HOSTSTAND_* environment variables."""

from __future__ import annotations

import ipaddress
import os
from datetime import timedelta
from typing import Literal
from urllib.parse import urlsplit

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.util import asbool

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}
MIN_ADMIN_TOKEN_LENGTH = 32
WEAK_ADMIN_TOKENS = {"admin", "secret", "changeme", "password", "hoststand", "token"}
# The async drivers hoststand runs on, and the plain schemes hosting platforms hand out.
DATABASE_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}
# What asyncpg.connect (and SQLAlchemy's asyncpg dialect) take from a URL's query string.
ASYNCPG_PARAMETERS = {
    "ssl",
    "direct_tls",
    "target_session_attrs",
    "passfile",
    "service",
    "servicefile",
    "krbsrvname",
    "gsslib",
    "prepared_statement_cache_size",
}
# The values asyncpg takes for those of them that name a choice; anything else fails at the first
# connection, on every request and poll, with a message that never reaches the operator.
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
ASYNCPG_CHOICES = {
    "sslmode": SSL_MODES,
    "ssl": SSL_MODES,
    "target_session_attrs": (
        "any",
        "primary",
        "standby",
        "prefer-standby",
        "read-write",
        "read-only",
    ),
    "gsslib": ("gssapi", "sspi"),
}
DATABASE_URL_HINT = "use sqlite+aiosqlite:///./hoststand.db or postgresql+asyncpg://user@host/db"
BROKER_SCHEMES = {"memory", "redis", "rediss", "unix"}


class SettingsError(Exception):
    """A setting has a value hoststand refuses to start with; the message names the variable."""


class Settings(BaseSettings):
    """Configuration of one hoststand instance; safe defaults for a developer's laptop."""

    model_config = SettingsConfigDict(env_prefix="HOSTSTAND_", extra="ignore")

    env: Literal["dev", "production"] = Field(
        "dev", description="'production' turns unsafe defaults into start-up errors."
    )
    database_url: str = "sqlite+aiosqlite:///./hoststand.db"
    database_schema: str | None = Field(
        None, description="PostgreSQL schema to use (search_path); default: the server's."
    )
    database_pool_size: int = Field(10, ge=1, le=200)
    broker_url: str = "memory://"
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535, validation_alias=AliasChoices("HOSTSTAND_PORT", "PORT"))
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["text", "json"] = "text"

    auth: Literal["tokens", "open"] = "tokens"
    admin_token: SecretStr | None = None
    allow_open_public: bool = False
    auth_failure_limit: int = Field(
        20, ge=1, description="Failed authentications per client per window."
    )
    auth_failure_window_seconds: float = Field(60.0, gt=0)
    token_cache_seconds: float = Field(
        1.0, ge=0, description="How long a checked token is trusted."
    )

    handshake_timeout_seconds: float = Field(10.0, gt=0)
    ws_ping_interval_seconds: float = Field(20.0, gt=0)
    ws_ping_timeout_seconds: float = Field(20.0, gt=0)
    ws_queue_limit: int = Field(1000, ge=1, description="Messages queued per device before 4409.")
    ws_max_message_bytes: int = Field(64 * 1024, ge=1024)
    ws_compression: bool = Field(False, description="permessage-deflate; costs memory and CPU.")
    user_action_rate: float = Field(10.0, gt=0, description="user_action messages per second.")
    user_action_burst: int = Field(20, ge=1)
    replay_page_size: int = Field(500, ge=1)
    replay_buffer_events: int = Field(
        64, ge=0, description="Recent events kept in memory per room for resumes; 0: none."
    )
    replay_buffer_seconds: float = Field(
        60.0, gt=0, description="How long an event stays in a room's replay buffer."
    )
    room_linger_seconds: float = Field(
        15.0,
        ge=0,
        description="How long a restaurant stays followed here after its last device left.",
    )
    log_poll_interval_seconds: float = Field(
        0.5, gt=0, description="How often hubs compare their restaurants with the event log."
    )
    log_sweep_interval_seconds: float = Field(
        30.0,
        gt=0,
        description="How often the log poll checks every restaurant and token, not the changes.",
    )
    gc_young_threshold: int = Field(
        10_000,
        ge=0,
        description="New objects between young garbage collections; 0 keeps CPython's 700.",
    )

    event_retention_days: float = Field(7.0, gt=0)
    prune_interval_seconds: float = Field(3600.0, gt=0)
    idempotency_ttl_hours: float = Field(24.0, gt=0)
    reservation_warning_minutes: int = Field(30, ge=0)
    reseat_window_minutes: int = Field(
        15, ge=0, description="How long after a release the party can be seated again (reseat)."
    )
    shutdown_timeout_seconds: float = Field(10.0, ge=0)
    forwarded_allow_ips: str | None = Field(
        None, description="Proxies trusted for X-Forwarded-For (uvicorn's --forwarded-allow-ips)."
    )
    fault_kill_after_commit: bool = Field(
        False,
        description="Testing only: SIGKILL this process right after a commit, before publish.",
    )

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        # Never echo the URL: it may carry a password.
        scheme, separator, rest = value.partition("://")
        driver = DATABASE_DRIVERS.get(scheme.lower())
        if not separator or driver is None:
            raise ValueError(f"not a database URL hoststand supports: {DATABASE_URL_HINT}")
        try:
            url = make_url(f"{driver}://{rest}")
        except ArgumentError:
            raise ValueError(f"not a valid database URL: {DATABASE_URL_HINT}") from None
        if url.port is not None and not 0 < url.port < 65536:
            # Else a traceback at the first connection; port 0 reached the default port instead.
            raise ValueError(f"the port is not a number from 1 to 65535: {DATABASE_URL_HINT}")
        if driver == "postgresql+asyncpg" and url.query:
            return _asyncpg_url(url)
        return f"{driver}://{rest}"

    @field_validator("broker_url")
    @classmethod
    def _broker_url(cls, value: str) -> str:
        scheme, separator, _ = value.partition("://")
        if not separator or scheme.lower() not in BROKER_SCHEMES:
            raise ValueError("unsupported broker: use memory:// or redis://host:6379/0")
        if scheme.lower() != "memory":
            _check_redis_url(value)
        return value

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        # An empty value (a blank line of an env file) would bind every interface, the
        # opposite of the loopback default.
        if not value.strip():
            raise ValueError("empty: use 127.0.0.1, or 0.0.0.0 to listen on every interface")
        return value.strip()

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _lowercase(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @property
    def idempotency_ttl(self) -> timedelta:
        """How long a response is kept for retries with the same Idempotency-Key."""
        return timedelta(hours=self.idempotency_ttl_hours)

    @model_validator(mode="after")
    def _refuse_unsafe(self) -> Settings:
        token = self.admin_token.get_secret_value() if self.admin_token else None
        # Dev mode on a reachable address is not a laptop any more: a deployment that forgot
        # HOSTSTAND_ENV=production must not accept "changeme" as the key to every restaurant.
        dev_only = self.env == "dev" and is_loopback(self.host)
        if token is not None and not dev_only and _is_weak(token):
            where = (
                "with HOSTSTAND_ENV=production"
                if self.env != "dev"
                else f"on the non-loopback address {self.host!r}"
            )
            raise ValueError(
                f"HOSTSTAND_ADMIN_TOKEN is weak or a well-known default, refused {where}: use "
                f"at least {MIN_ADMIN_TOKEN_LENGTH} random characters, e.g. the output of "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
            )
        if self.auth == "open" and not self.allow_open_public and not is_loopback(self.host):
            raise ValueError(
                f"HOSTSTAND_AUTH=open refuses to listen on {self.host!r}: anyone could read and "
                "change every restaurant. Bind to 127.0.0.1, use HOSTSTAND_AUTH=tokens, or set "
                "HOSTSTAND_ALLOW_OPEN_PUBLIC=1 if you really mean it."
            )
        if self.auth == "open" and self.env == "production":
            raise ValueError("HOSTSTAND_AUTH=open is refused with HOSTSTAND_ENV=production.")
        if self.fault_kill_after_commit and self.env == "production":
            raise ValueError(
                "HOSTSTAND_FAULT_KILL_AFTER_COMMIT is for tests only (the process kills itself "
                "right after a commit): refused with HOSTSTAND_ENV=production; unset it."
            )
        return self


def _asyncpg_url(url: URL) -> str:
    """The URL with its query as asyncpg takes it: libpq's `sslmode` is asyncpg's `ssl`."""
    query = dict(url.query)
    _check_choices(query)
    if "sslmode" in query:
        query.setdefault("ssl", query["sslmode"])
        del query["sslmode"]
    unknown = sorted(set(query) - ASYNCPG_PARAMETERS)
    if unknown:
        # Otherwise a TypeError at the first connection, on every request and poll.
        raise ValueError(
            f"unknown connection parameter {', '.join(unknown)}: PostgreSQL URLs take "
            f"{', '.join(sorted(ASYNCPG_PARAMETERS | {'sslmode'}))}"
        )
    return url.set(query=query).render_as_string(hide_password=False)


def _check_choices(query: dict[str, str | tuple[str, ...]]) -> None:
    """Refuse a parameter whose value is none of those asyncpg takes, naming them."""
    direct_tls = query.get("direct_tls")
    if direct_tls is not None and not _is_boolean_word(direct_tls):
        raise ValueError("invalid value of the connection parameter direct_tls: use true or false")
    for name, allowed in ASYNCPG_CHOICES.items():
        value = query.get(name)
        if value is None:
            continue
        # asyncpg also takes verify_full for verify-full. A parameter given twice is a tuple.
        if name in ("ssl", "sslmode") and isinstance(value, str):
            value = value.replace("_", "-")
        if value not in allowed:
            # The value is not repeated: the URL is never echoed (see _database_url).
            raise ValueError(
                f"invalid value of the connection parameter {name}: use one of {', '.join(allowed)}"
            )


def _is_boolean_word(value: str | tuple[str, ...]) -> bool:
    """Whether SQLAlchemy's asbool reads `value` as true or false, as the engine does with it.

    The engine hands direct_tls to asyncpg as a boolean (store/database.py): asyncpg would take
    the text "false" for true. A parameter given twice is a tuple, which asbool would call true.
    """
    if not isinstance(value, str):
        return False
    try:
        asbool(value)
    except ValueError:
        return False
    return True


def _check_redis_url(url: str) -> None:
    """Refuse at start what redis-py would refuse at the first connection, or ignore."""
    # Lazy: an instance on memory:// never loads redis. Never echo the URL: it may hold a password.
    from redis.asyncio.connection import parse_url

    hint = "expected redis://[:password@]host[:port][/db], e.g. redis://127.0.0.1:6379/0"
    try:
        options = parse_url(url)
    except ValueError as exc:
        # urllib's own messages may quote the host part, password included: not repeated.
        message = str(exc) if "connection URL" in str(exc) else "not a valid Redis URL"
        if "Port" in str(exc):
            message = "the port is not a number from 1 to 65535"
        raise ValueError(f"{message}: {hint}") from None
    path = urlsplit(url).path.strip("/")
    # redis-py silently falls back to db 0 for a path that is not a number.
    is_tcp = url.partition("://")[0].lower() != "unix"
    if is_tcp and "db" not in options and path and not path.isdigit():
        raise ValueError(f"the database number {path!r} is not a number: {hint}")


def _is_weak(token: str) -> bool:
    return len(token) < MIN_ADMIN_TOKEN_LENGTH or token.lower() in WEAK_ADMIN_TOKENS


def is_loopback(host: str) -> bool:
    """True when `host` only accepts connections from this machine."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment; raise SettingsError naming the bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(describe_errors(exc)) from None


def describe_errors(exc: ValidationError) -> str:
    """Turn pydantic's errors into lines that name the environment variable to fix."""
    lines = []
    for err in exc.errors():
        loc = err.get("loc") or ()
        message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        lines.append(f"{variable_name(str(loc[0]))}: {message}" if loc else message)
    return "invalid configuration:\n  " + "\n  ".join(lines)


def variable_name(field: str) -> str:
    """The environment variable a setting was read from, e.g. HOSTSTAND_LOG_LEVEL."""
    field = field.lower().removeprefix("hoststand_")
    if field == "port" and "HOSTSTAND_PORT" not in os.environ and "PORT" in os.environ:
        return "PORT"  # the PaaS variable, read only when HOSTSTAND_PORT is not set
    return f"HOSTSTAND_{field.upper()}"
