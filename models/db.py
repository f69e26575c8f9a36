"""Database URL, engine and session factory. Nothing connects at import time."""

from __future__ import annotations

import json
import os

from sqlalchemy import Connection, Engine, PoolProxiedConnection, create_engine, event
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.orm import Session, sessionmaker

from .base import EncodedJson

DEFAULT_DATABASE_URL = "sqlite:///insurflow.db"


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
        engine = create_engine(url, connect_args={"timeout": 30}, json_serializer=encode_json)
        event.listen(engine, "connect", _sqlite_pragmas)  # a pool event: no per-statement cost
        return engine
    return create_engine(url, pool_pre_ping=True, json_serializer=encode_json)


class InsurflowSQLiteDialect(SQLiteDialect_pysqlite):
    """pysqlite that begins its own transactions: the driver's own transaction handling
    breaks SAVEPOINT, so `_sqlite_pragmas` turns it off. BEGIN is sent here rather than from
    a "begin" event listener because an engine with any such listener pays SQLAlchemy's
    event dispatch on every statement it runs."""

    supports_statement_cache = True

    def do_begin(self, dbapi_connection: PoolProxiedConnection) -> None:
        _run_on_cursor(dbapi_connection, "BEGIN")


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
