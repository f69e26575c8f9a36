"""Which driver errors are passing trouble (503 / 409, the worker backs off) and which not."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from psycopg import errors as pg
from sqlalchemy.exc import IntegrityError, OperationalError

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
