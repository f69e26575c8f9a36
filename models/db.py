"""Database URL, engine and session factory. Nothing connects at import time."""

from __future__ import annotations

import json
import os

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from .base import EncodedJson

DEFAULT_DATABASE_URL = "sqlite:///insurflow.db"


def database_url() -> str:
    return os.environ.get("INSURFLOW_DATABASE_URL", DEFAULT_DATABASE_URL)


def make_engine(url: str | None = None) -> Engine:
    url = url or database_url()
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, json_serializer=encode_json)
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling breaks SAVEPOINT; emit BEGIN ourselves.
        event.listen(engine, "begin", lambda conn: run_fixed_sql(conn, "BEGIN"))
        return engine
    return create_engine(url, pool_pre_ping=True, json_serializer=encode_json)


def run_fixed_sql(connection: Connection, sql: str) -> None:
    """Run a fixed statement with no parameters and no result (BEGIN, SAVEPOINT, RELEASE) on
    the driver's cursor, inside SQLAlchemy's transaction: it needs none of SQLAlchemy's
    execution machinery, which costs ten times the statement itself. Nothing is logged for
    it and a driver error comes through unwrapped."""
    cursor = connection.connection.cursor()
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
