"""Settings: safe defaults, HOSTSTAND_* variables (and PORT), and bad values that stop start-up."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hoststand.config import Settings, SettingsError, load_settings
from tests.commands import clean_env, hoststand


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """An environment without any hoststand variable, to set some in."""
    for name in list(os.environ):
        if name.startswith("HOSTSTAND_") or name == "PORT":
            monkeypatch.delenv(name)
    return monkeypatch


def test_the_defaults_suit_a_laptop(environ: pytest.MonkeyPatch) -> None:
    settings = Settings()
    assert settings.database_url == "sqlite+aiosqlite:///./hoststand.db"
    assert settings.broker_url == "memory://"
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert (settings.log_level, settings.log_format) == ("info", "text")
    assert (settings.env, settings.auth, settings.admin_token) == ("dev", "tokens", None)


def test_every_setting_comes_from_its_variable(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("HOSTSTAND_DATABASE_URL", "postgresql+asyncpg://app@db.internal/hoststand")
    environ.setenv("HOSTSTAND_BROKER_URL", "redis://cache.internal:6379/0")
    environ.setenv("HOSTSTAND_HOST", "0.0.0.0")
    environ.setenv("HOSTSTAND_PORT", "9001")
    environ.setenv("HOSTSTAND_LOG_LEVEL", "WARNING")
    environ.setenv("HOSTSTAND_LOG_FORMAT", "json")
    settings = load_settings()
    assert settings.database_url == "postgresql+asyncpg://app@db.internal/hoststand"
    assert settings.broker_url == "redis://cache.internal:6379/0"
    assert (settings.host, settings.port) == ("0.0.0.0", 9001)
    assert (settings.log_level, settings.log_format) == ("warning", "json")


def test_the_port_honours_PORT_when_HOSTSTAND_PORT_is_unset(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("PORT", "5123")
    assert Settings().port == 5123
    environ.setenv("HOSTSTAND_PORT", "6123")
    assert Settings().port == 6123


def test_plain_database_urls_of_hosting_platforms_get_the_async_driver(
    environ: pytest.MonkeyPatch,
) -> None:
    for given, used in [
        ("postgres://u:p@h:5432/db", "postgresql+asyncpg://u:p@h:5432/db"),
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("sqlite:///./other.db", "sqlite+aiosqlite:///./other.db"),
        # libpq's sslmode, as managed databases hand it out, is asyncpg's ssl.
        (
            "postgres://u:p%40ss@h/db?sslmode=require",
            "postgresql+asyncpg://u:p%40ss@h/db?ssl=require",
        ),
    ]:
        environ.setenv("HOSTSTAND_DATABASE_URL", given)
        assert Settings().database_url == used


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"HOSTSTAND_PORT": "eighty"}, "HOSTSTAND_PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"PORT": "8080", "HOSTSTAND_PORT": "-1"}, "HOSTSTAND_PORT"),
        ({"HOSTSTAND_LOG_FORMAT": "xml"}, "HOSTSTAND_LOG_FORMAT"),
        ({"HOSTSTAND_LOG_LEVEL": "loud"}, "HOSTSTAND_LOG_LEVEL"),
        ({"HOSTSTAND_DATABASE_URL": "mysql://u:sekret@h/db"}, "HOSTSTAND_DATABASE_URL"),
        ({"HOSTSTAND_DATABASE_URL": "hoststand.db"}, "HOSTSTAND_DATABASE_URL"),
        (
            {"HOSTSTAND_DATABASE_URL": "postgres://u:sekret@h/db?ssl_mode=require"},
            "HOSTSTAND_DATABASE_URL",
        ),
        (
            {"HOSTSTAND_DATABASE_URL": "postgresql+asyncpg://u:sekret@h:99999/db"},
            "HOSTSTAND_DATABASE_URL",
        ),
        ({"HOSTSTAND_DATABASE_URL": "postgres://u:sekret@h:0/db"}, "HOSTSTAND_DATABASE_URL"),
        ({"HOSTSTAND_DATABASE_URL": "postgres://u:sekret@h/db?ssl=on"}, "HOSTSTAND_DATABASE_URL"),
        (
            {"HOSTSTAND_DATABASE_URL": "postgres://u:sekret@h/db?target_session_attrs=master"},
            "HOSTSTAND_DATABASE_URL",
        ),
        ({"HOSTSTAND_BROKER_URL": "kafka://k:9092"}, "HOSTSTAND_BROKER_URL"),
        ({"HOSTSTAND_BROKER_URL": "redis://:sekret@h:six/0"}, "HOSTSTAND_BROKER_URL"),
        ({"HOSTSTAND_BROKER_URL": "redis://:sekret@h:6379/seven"}, "HOSTSTAND_BROKER_URL"),
        ({"HOSTSTAND_BROKER_URL": "redis://h/0?socket_timeout=soon"}, "HOSTSTAND_BROKER_URL"),
        ({"HOSTSTAND_DATABASE_POOL_SIZE": "0"}, "HOSTSTAND_DATABASE_POOL_SIZE"),
        ({"HOSTSTAND_HOST": ""}, "HOSTSTAND_HOST"),
        ({"HOSTSTAND_HOST": " "}, "HOSTSTAND_HOST"),
        ({"HOSTSTAND_AUTH": "open", "HOSTSTAND_HOST": "0.0.0.0"}, "HOSTSTAND_AUTH=open"),
        (
            {"HOSTSTAND_ENV": "production", "HOSTSTAND_FAULT_KILL_AFTER_COMMIT": "1"},
            "HOSTSTAND_FAULT_KILL_AFTER_COMMIT is for tests only",
        ),
    ],
)
def test_a_bad_value_is_refused_naming_its_variable(
    environ: pytest.MonkeyPatch, variables: dict[str, str], named: str
) -> None:
    for name, value in variables.items():
        environ.setenv(name, value)
    with pytest.raises(SettingsError) as refused:
        load_settings()
    message = str(refused.value)
    assert f"{named}" in message
    assert "sekret" not in message
    if named.isupper() and ":" not in named:
        assert f"  {named}: " in message  # one line per variable, name first


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"HOSTSTAND_PORT": "eighty"}, "HOSTSTAND_PORT"),
        ({"PORT": "99999"}, "PORT"),
        ({"HOSTSTAND_LOG_FORMAT": "xml"}, "HOSTSTAND_LOG_FORMAT"),
        ({"HOSTSTAND_DATABASE_URL": "mysql://u:sekret@h/db"}, "HOSTSTAND_DATABASE_URL"),
        (
            {"HOSTSTAND_DATABASE_URL": "postgresql+asyncpg://u:sekret@h:99999/db"},
            "HOSTSTAND_DATABASE_URL",
        ),
        ({"HOSTSTAND_BROKER_URL": "redis://:sekret@h:six/0"}, "HOSTSTAND_BROKER_URL"),
        (
            {"HOSTSTAND_DATABASE_URL": "postgres://u:sekret@h/db?sslmode=bogus"},
            "HOSTSTAND_DATABASE_URL",
        ),
    ],
)
def test_serve_stops_at_start_up_on_a_bad_value(
    tmp_path: Path, variables: dict[str, str], named: str
) -> None:
    done = hoststand("serve", cwd=tmp_path, env=clean_env(**variables))
    assert done.returncode == 2, done.stderr
    assert f"{named}: " in done.stderr
    assert "invalid configuration" in done.stderr
    assert "Traceback" not in done.stderr
    assert "sekret" not in done.stderr + done.stdout
    assert list(tmp_path.iterdir()) == []  # stopped before touching any database


@pytest.mark.parametrize("command", [("serve",), ("migrate",)])
def test_an_invalid_sslmode_names_the_parameter_and_the_modes_it_takes(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    url = "postgres://u:sekret@db.internal/hoststand?sslmode=bogus"
    done = hoststand(*command, cwd=tmp_path, env=clean_env(HOSTSTAND_DATABASE_URL=url))
    assert done.returncode == 2, done.stderr
    assert (
        "HOSTSTAND_DATABASE_URL: invalid value of the connection parameter sslmode: use one of "
        "disable, allow, prefer, require, verify-ca, verify-full"
    ) in done.stderr
    assert "Traceback" not in done.stderr
    for secret in ("sekret", "db.internal", "bogus"):
        assert secret not in done.stderr + done.stdout


def test_the_ssl_modes_asyncpg_takes_are_accepted(environ: pytest.MonkeyPatch) -> None:
    for mode in ("disable", "allow", "prefer", "require", "verify-ca", "verify-full", "verify_ca"):
        environ.setenv("HOSTSTAND_DATABASE_URL", f"postgres://u@h/db?sslmode={mode}")
        assert Settings().database_url == f"postgresql+asyncpg://u@h/db?ssl={mode}"


def test_direct_tls_takes_a_yes_or_no_and_nothing_else(environ: pytest.MonkeyPatch) -> None:
    for word in ("true", "False", "0", "on"):
        environ.setenv("HOSTSTAND_DATABASE_URL", f"postgres://u@h/db?direct_tls={word}")
        assert Settings().database_url.endswith(f"direct_tls={word}")
    environ.setenv("HOSTSTAND_DATABASE_URL", "postgres://u@h/db?direct_tls=sometimes")
    with pytest.raises(SettingsError, match="direct_tls: use true or false"):
        load_settings()
