"""Which driver errors are passing trouble (503 / 409, the worker backs off) and which not;
the SQLite busy timeout setting."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from psycopg import errors as pg
from sqlalchemy.exc import IntegrityError, OperationalError

from models.db import sqlite_busy_timeout
from services.db_errors import Trouble, passing_trouble


def _sqlite_error(name: str) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError(name)
    error.sqlite_errorname = name
    return error


@pytest.mark.parametrize(("driver_error", "trouble"), [
    (pg.DeadlockDetected("deadlock detected"), Trouble.CONFLICT),
    (pg.SerializationFailure("could not serialize"), Trouble.CONFLICT),
    (pg.AdminShutdown("terminating connection"), Trouble.UNAVAILABLE),
    (pg.CannotConnectNow("the database system is starting up"), Trouble.UNAVAILABLE),
    (psycopg.OperationalError("connection refused"), Trouble.UNAVAILABLE),
    (pg.DiskFull("no space"), Trouble.UNAVAILABLE),
    (_sqlite_error("SQLITE_BUSY"), Trouble.UNAVAILABLE),
    (_sqlite_error("SQLITE_CANTOPEN"), Trouble.UNAVAILABLE),
    (_sqlite_error("SQLITE_ERROR"), None),
])
def test_operational_errors(driver_error: Exception, trouble: Trouble | None) -> None:
    assert passing_trouble(OperationalError("SELECT 1", {}, driver_error)) is trouble


def test_a_lost_connection_is_unavailable_whatever_the_error() -> None:
    lost = IntegrityError("SELECT 1", {}, Exception("gone"), connection_invalidated=True)
    assert passing_trouble(lost) is Trouble.UNAVAILABLE


def test_bugs_and_bad_data_are_not_passing() -> None:
    assert passing_trouble(IntegrityError("INSERT", {}, pg.UniqueViolation("dup"))) is None
    assert passing_trouble(ValueError("no")) is None


@pytest.mark.parametrize(("configured", "seconds"), [("", 30.0), ("2.5", 2.5), (" 0 ", 0.0)])
def test_busy_timeout_setting(monkeypatch: pytest.MonkeyPatch, configured: str,
                              seconds: float) -> None:
    monkeypatch.setenv("INSURFLOW_SQLITE_BUSY_TIMEOUT", configured)
    assert sqlite_busy_timeout() == seconds


@pytest.mark.parametrize("configured", ["soon", "-1", "nan", "inf"])
def test_a_bad_busy_timeout_is_named(monkeypatch: pytest.MonkeyPatch, configured: str) -> None:
    monkeypatch.setenv("INSURFLOW_SQLITE_BUSY_TIMEOUT", configured)
    with pytest.raises(ValueError, match="INSURFLOW_SQLITE_BUSY_TIMEOUT must be a number"):
        sqlite_busy_timeout()
