"""Database URL, engine and session factory. Nothing connects at import time."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import Connection, Engine, PoolProxiedConnection, create_engine, event
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.orm import Session, sessionmaker

from .base import EncodedJson

DEFAULT_DATABASE_URL = "sqlite:///insurflow.db"
# How long a SQLite write waits for the write lock before "database is locked": well above
# the time a script may run inside a step (a few seconds), so a busy moment means waiting.
DEFAULT_SQLITE_BUSY_TIMEOUT = 30.0
BUSY_TIMEOUT_VARIABLE = "INSURFLOW_SQLITE_BUSY_TIMEOUT"


def database_url() -> str:
    return os.environ.get("INSURFLOW_DATABASE_URL", DEFAULT_DATABASE_URL)


# Our pysqlite dialect (below) for the SQLite URLs that would get SQLAlchemy's.
_SQLITE_PREFIXES = ("sqlite://", "sqlite+pysqlite://")
_SQLITE_DIALECT = "sqlite+insurflow://"


def make_engine(url: str | None = None) -> Engine:
    url = url or database_url()
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    for prefix in _SQLITE_PREFIXES:
        if url.startswith(prefix):
            url = _SQLITE_DIALECT + url.removeprefix(prefix)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": sqlite_busy_timeout()},
                               json_serializer=encode_json)
        event.listen(engine, "connect", _sqlite_pragmas)  # a pool event: no per-statement cost
        return engine
    return create_engine(url, pool_pre_ping=True, json_serializer=encode_json)


def sqlite_busy_timeout() -> float:
    """Seconds a SQLite connection waits for a lock (INSURFLOW_SQLITE_BUSY_TIMEOUT)."""
    configured = os.environ.get(BUSY_TIMEOUT_VARIABLE, "").strip()
    if not configured:
        return DEFAULT_SQLITE_BUSY_TIMEOUT
    try:
        seconds = float(configured)
    except ValueError:
        seconds = -1.0
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{BUSY_TIMEOUT_VARIABLE} must be a number of seconds (0 or more), "
                         f"not {configured!r}")
    return seconds


# True while a unit of work that only reads begins its transaction (see read_only).
_READ_ONLY = ContextVar("insurflow_read_only_transaction", default=False)


@contextmanager
def read_only(flag: bool = True) -> Iterator[None]:
    """Transactions begun inside only read (or, with False, may write): on SQLite a reading
    one keeps a deferred BEGIN and so never waits for the write lock."""
    token = _READ_ONLY.set(flag)
    try:
        yield
    finally:
        _READ_ONLY.reset(token)


class InsurflowSQLiteDialect(SQLiteDialect_pysqlite):
    """pysqlite that begins its own transactions: the driver's own transaction handling
    breaks SAVEPOINT, so `_sqlite_pragmas` turns it off. BEGIN is sent here rather than from
    a "begin" event listener because an engine with any such listener pays SQLAlchemy's
    event dispatch on every statement it runs.

    A transaction that may write begins IMMEDIATE: it takes the write lock at once, waiting
    for it within the busy timeout. A deferred BEGIN that read first and then wrote failed
    at once with "database is locked" whenever another connection had written since its
    read (WAL's SQLITE_BUSY_SNAPSHOT, which no busy timeout helps), a 500 under load."""

    supports_statement_cache = True

    def do_begin(self, dbapi_connection: PoolProxiedConnection) -> None:
        _run_on_cursor(dbapi_connection, "BEGIN" if _READ_ONLY.get() else "BEGIN IMMEDIATE")


registry.register("sqlite.insurflow", __name__, "InsurflowSQLiteDialect")


def run_fixed_sql(connection: Connection, sql: str) -> None:
    """Run a fixed statement with no parameters and no result (SAVEPOINT, RELEASE) on the
    driver's cursor, inside SQLAlchemy's transaction: it needs none of SQLAlchemy's
    execution machinery, which costs ten times the statement itself. Nothing is logged for
    it and a driver error comes through unwrapped."""
    _run_on_cursor(connection.connection, sql)


def _run_on_cursor(dbapi_connection: PoolProxiedConnection, sql: str) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(sql)
    finally:
        cursor.close()


def encode_json(value: object) -> str:
    """JSON columns' encoder: text already encoded (EncodedJson) is stored as it is."""
    return value if isinstance(value, EncodedJson) else json.dumps(value)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
