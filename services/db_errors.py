"""Which database errors are passing trouble rather than a bug: the edges answer those with
"try again" (the web: 503 or 409) and the worker backs off and carries on."""

from __future__ import annotations

import enum

from sqlalchemy.exc import DBAPIError, OperationalError

# SQLite result codes (sqlite3's `sqlite_errorname`) that say "not now", not "never".
_SQLITE_PASSING = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_IOERR")
# PostgreSQL SQLSTATE classes: 08 connection exception, 53 insufficient resources, 57
# operator intervention (a terminated backend, a shutdown), 40 a transaction rolled back by
# the server (a deadlock or a serialization failure).
_PG_UNAVAILABLE = ("08", "53", "57")
_PG_ROLLED_BACK = "40"


class Trouble(enum.Enum):
    UNAVAILABLE = "unavailable"  # the database cannot be reached or is busy: try later
    CONFLICT = "conflict"  # lost to a concurrent transaction: reload and try again


def passing_trouble(error: BaseException | None) -> Trouble | None:
    """The kind of passing trouble `error` is, or None for anything else (a bug, bad data)."""
    if not isinstance(error, DBAPIError):
        return None
    if error.connection_invalidated:
        return Trouble.UNAVAILABLE
    if not isinstance(error, OperationalError):
        return None
    sqlstate = getattr(error.orig, "sqlstate", None)  # psycopg's errors carry one
    if isinstance(sqlstate, str):
        if sqlstate.startswith(_PG_ROLLED_BACK):
            return Trouble.CONFLICT
        return Trouble.UNAVAILABLE if sqlstate.startswith(_PG_UNAVAILABLE) else None
    sqlite_name = getattr(error.orig, "sqlite_errorname", None)
    if isinstance(sqlite_name, str):
        return Trouble.UNAVAILABLE if sqlite_name.startswith(_SQLITE_PASSING) else None
    # A driver error without a code: psycopg's "connection refused", "server closed the
    # connection unexpectedly" and the like.
    return Trouble.UNAVAILABLE
