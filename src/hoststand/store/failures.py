"""What went wrong with the database, in words an operator can act on.

The words go to /readyz, which anyone may read, and to the logs: they never carry the URL, its
host, user or password, nor the database's name, only what failed and what to check. Drivers'
messages are used only where they carry none of that (SQLite's never name the file).
"""

from __future__ import annotations

import errno
import logging
import socket
import sqlite3

from sqlalchemy import exc as sa_exc

MIGRATE = "run `hoststand migrate`"
# PostgreSQL's SQLSTATE codes (asyncpg's `sqlstate`), and their classes by first two characters.
POSTGRES_CODES = {
    "28P01": "unreachable: password authentication failed",
    "3D000": "unreachable: the database named in HOSTSTAND_DATABASE_URL does not exist",
    "3F000": f"failing: the schema of HOSTSTAND_DATABASE_SCHEMA does not exist: {MIGRATE}",
    "42P01": f"failing: a table is missing: {MIGRATE}",
    "53300": "unreachable: the server has no connection left (max_connections)",
    "57P03": "unreachable: the server is starting up or shutting down",
}
POSTGRES_CLASSES = {
    "08": "unreachable: the connection was lost",
    "28": "unreachable: the server refused the login (user, or pg_hba.conf)",
    "57": "unreachable: the server is shutting down or cancelled the query",
}
# asyncpg's ClientConfigurationError, raised before it connects, by the start of its message: its
# other messages may quote the host, so only these are turned into words.
ASYNCPG_CONFIGURATION = {
    "root certificate file": (
        "unreachable: sslmode verify-ca and verify-full need the server's root certificate: "
        "put it in ~/.postgresql/root.crt of the user hoststand runs as, or name it in "
        "PGSSLROOTCERT"
    ),
}
SQLITE_CODES = {
    "SQLITE_CANTOPEN": (
        "unreachable: cannot open the SQLite file: does its directory exist, and may hoststand "
        "write there?"
    ),
    "SQLITE_NOTADB": "failing: the file is not a SQLite database",
    "SQLITE_CORRUPT": "failing: the SQLite file is corrupt",
    "SQLITE_BUSY": "failing: the SQLite file is locked by another process",
    "SQLITE_READONLY": "failing: the SQLite file is read-only",
    "SQLITE_FULL": "failing: the disk is full",
}


POOL_TAKEN = "failing: every pooled connection is taken (HOSTSTAND_DATABASE_POOL_SIZE)"
# Failures that pass by themselves, though the database is reachable: a request may be tried
# again (see unavailable).
BUSY = frozenset({POOL_TAKEN, SQLITE_CODES["SQLITE_BUSY"]})


def unavailable(exc: BaseException) -> bool:
    """Whether `exc` says that the database cannot serve now, rather than that a request is wrong.

    It is unreachable (down, refusing, out of connections, starting or shutting down, the
    connection lost), or too busy: every pooled connection taken, or the SQLite file locked by
    another process for longer than the busy timeout. Anything else is a bug or a schema to
    migrate.
    """
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True  # SQLAlchemy's verdict on the driver's error: the connection is gone
    said = describe(exc)
    return said.startswith("unreachable:") or said in BUSY


class Outage:
    """A database outage as a task that keeps retrying sees it: said once, not at every try.

    The first failure is a warning in words (`describe`), its traceback at debug; the ones
    after it are at debug; the first success after them says how many there were.
    """

    def __init__(self, log: logging.Logger, doing: str, tries: str) -> None:
        self._log = log
        self._doing = doing  # "pruning": "pruning failed: database ..."
        self._tries = tries  # "attempts": "pruning works again after 3 failed attempts"
        self._failed = 0

    def failed(self, exc: BaseException) -> None:
        """One more try failed with `exc`."""
        self._failed += 1
        said = describe(exc)
        if self._failed == 1:
            self._log.warning("%s failed: database %s", self._doing, said)
            self._log.debug("%s failed", self._doing, exc_info=exc)
        else:
            self._log.debug("%s failed again: database %s", self._doing, said)

    def worked(self) -> None:
        """A try succeeded."""
        if self._failed:
            self._log.warning(
                "%s works again after %d failed %s", self._doing, self._failed, self._tries
            )
            self._failed = 0


def describe(exc: BaseException) -> str:
    """What `exc`, raised by the database or its driver, says about the database, in words."""
    if isinstance(exc, sa_exc.TimeoutError):
        return POOL_TAKEN
    cause = _driver_error(exc)
    sqlstate = getattr(cause, "sqlstate", None)
    if isinstance(sqlstate, str):
        said = POSTGRES_CODES.get(sqlstate) or POSTGRES_CLASSES.get(sqlstate[:2])
        return said or f"failing: PostgreSQL error {sqlstate} ({type(cause).__name__})"
    if isinstance(cause, sqlite3.Error):
        return _sqlite(cause)
    if isinstance(cause, OSError):
        return f"unreachable: {_network(cause)}"
    if type(cause).__name__ == "ClientConfigurationError":  # asyncpg's, not imported on SQLite
        for start, said in ASYNCPG_CONFIGURATION.items():
            if str(cause).startswith(start):
                return said
    return f"failing: {type(cause).__name__}"


def _driver_error(exc: BaseException) -> BaseException:
    """The driver's own exception under SQLAlchemy's wrappers (and asyncpg's adapter)."""
    seen: set[int] = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, sa_exc.DBAPIError) and exc.orig is not None:
            exc = exc.orig
        elif exc.__cause__ is not None and not isinstance(exc, (sqlite3.Error, OSError)):
            exc = exc.__cause__
        else:
            break
    return exc


def _sqlite(exc: sqlite3.Error) -> str:
    name = getattr(exc, "sqlite_errorname", "")
    message = str(exc)
    if message.startswith("no such table"):
        return POSTGRES_CODES["42P01"]
    # Extended codes (SQLITE_IOERR_WRITE, SQLITE_BUSY_SNAPSHOT) by their primary code.
    primary = "_".join(name.split("_")[:2])
    return SQLITE_CODES.get(name) or SQLITE_CODES.get(primary) or f"failing: {message}"


def _network(exc: OSError) -> str:
    if isinstance(exc, socket.gaierror):
        return "the host name does not resolve"
    if isinstance(exc, TimeoutError):
        return "timed out"
    if exc.errno == errno.ECONNREFUSED or (exc.errno is None and "Connect call failed" in str(exc)):
        # The second: asyncpg's "Multiple exceptions" when every address of a host refused.
        return "connection refused"
    return exc.strerror.lower() if exc.strerror else "cannot connect"
