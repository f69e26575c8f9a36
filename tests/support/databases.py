"""A second database of the kind a test runs on, for migration tests: empty, then taken to a
revision and moved up or down from there."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, text

from models.db import make_engine
from tests.conftest import PG_ADMIN_URL, PG_TEST_DB, ROOT


def _config(engine_connection: object) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["configure_logger"] = False
    config.attributes["connection"] = engine_connection
    return config


def upgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as connection:
        command.upgrade(_config(connection), revision)


def downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as connection:
        command.downgrade(_config(connection), revision)


def second_database(like: Engine, tmp_path: Path, name: str, revision: str) -> Engine:
    """An empty database of `like`'s kind (PostgreSQL: `<test db>_<name>`, made afresh),
    migrated to `revision`."""
    if like.dialect.name == "postgresql":
        url = _empty_postgres(f"{PG_TEST_DB}_{name}")
    else:
        url = f"sqlite:///{tmp_path / f'{name}.db'}"
    engine = make_engine(url)
    upgrade(engine, revision)
    return engine


def _empty_postgres(database: str) -> str:
    admin = create_engine(make_engine(PG_ADMIN_URL).url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'drop database if exists "{database}"'))
        conn.execute(text(f'create database "{database}"'))
    admin.dispose()
    return f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{database}"
