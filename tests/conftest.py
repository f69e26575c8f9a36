"""Fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL: INSURFLOW_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test).
Tests use a database `insurflow_test_<hash of the checkout path>` beside it, so two checkouts
can run at once (INSURFLOW_TEST_PG_DB overrides the name). When PostgreSQL cannot be reached
the PostgreSQL variants are skipped with the reason, unless INSURFLOW_REQUIRE_POSTGRES=1 (CI),
where they fail.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

import tests.support.handlers  # noqa: F401 - registers the test handlers
from engine.clock import set_clock
from models import Base
from models.db import make_engine, make_session_factory
from services.unit_of_work import UnitOfWork
from tests.support.clock import suite_clock

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PG_ADMIN_URL = os.environ.get("INSURFLOW_TEST_POSTGRES_URL",
                              "postgresql://postgres@127.0.0.1:5432/test")
# One database per checkout, so two checkouts (or worktrees) can run their suites at once.
PG_TEST_DB = os.environ.get(
    "INSURFLOW_TEST_PG_DB", "insurflow_test_" + hashlib.sha256(str(ROOT).encode()).hexdigest()[:8])
REQUIRE_PG = os.environ.get("INSURFLOW_REQUIRE_POSTGRES") == "1"


def migrate(engine: Engine) -> None:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["configure_logger"] = False
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _pg_url(database: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{database}"


def prepare_postgres(database: str = PG_TEST_DB) -> str:
    """Create `database` beside the admin URL if needed, empty it and migrate it."""
    admin = create_engine(make_engine(PG_ADMIN_URL).url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("select 1 from pg_database where datname = :n"),
                            {"n": database}).first():
            conn.execute(text(f'create database "{database}"'))
    admin.dispose()
    url = _pg_url(database)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("drop schema public cascade"))
        conn.execute(text("create schema public"))
    migrate(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return postgres_or_skip(PG_TEST_DB)


def postgres_or_skip(database: str) -> str:
    """A freshly migrated PostgreSQL database, or skip (fail in CI) when none is reachable."""
    try:
        return prepare_postgres(database)
    except Exception as error:  # noqa: BLE001 - any connection failure
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required but not reachable: {error}")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}: {error}")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"truncate {tables} restart identity cascade"))
    engine.dispose()
    yield url


@pytest.fixture
def db_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(db_engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(db_engine)


@pytest.fixture
def uow(session_factory: sessionmaker[Session]):  # type: ignore[no-untyped-def]
    return lambda: UnitOfWork(session_factory)


@pytest.fixture(autouse=True)
def _suite_clock() -> Iterator[None]:
    """Every test runs on the suite's clock (tests/support/clock.py) unless it sets its own."""
    set_clock(suite_clock)
    yield
    set_clock(suite_clock)
