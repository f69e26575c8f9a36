"""A request whose database goes away answers 503 with Retry-After (page and JSON), never a
500, and the next request works once the database is back.

PostgreSQL: the backend of the very connection a request is using is terminated
(pg_terminate_backend) as its first statement is sent. SQLite has no connection to lose; its
passing trouble is the write lock held elsewhere past the busy timeout."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from psycopg import errors as psycopg_errors
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import OperationalError

from app import create_app
from engine.clock import set_clock
from handlers import ensure_products
from tests.processes.conftest import TODAY
from tests.support import flows
from tests.support.applicants import applicant
from tests.support.auth import csrf_token, signed_in_client

Trouble = Callable[[], AbstractContextManager[None]]


@pytest.fixture
def app(database_url: str, uow, monkeypatch: pytest.MonkeyPatch) -> Flask:  # type: ignore[no-untyped-def]
    set_clock(lambda: TODAY)
    monkeypatch.setenv("INSURFLOW_SQLITE_BUSY_TIMEOUT", "0.2")
    flows.deploy(uow)
    with uow() as work:
        ensure_products(work.session)
        work.commit()
    return create_app({"DATABASE_URL": database_url, "TESTING": True})


@pytest.fixture
def trouble(app: Flask, database_url: str, db_engine: Engine) -> Trouble:
    """A context in which the app's next request loses its database."""
    if database_url.startswith("sqlite"):
        return lambda: _write_lock_held(Path(database_url.removeprefix("sqlite:///")))
    return lambda: _backend_terminated(app.extensions["insurflow.engine"], db_engine)


@contextmanager
def _backend_terminated(app_engine: Engine, admin: Engine) -> Iterator[None]:
    def terminate(connection: Any, *_: Any) -> None:
        pid = connection.connection.driver_connection.info.backend_pid
        with admin.connect() as other:  # waits up to 5 s until the backend is gone
            other.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})

    event.listen(app_engine, "before_cursor_execute", terminate, once=True)
    try:
        yield
    finally:
        if event.contains(app_engine, "before_cursor_execute", terminate):
            event.remove(app_engine, "before_cursor_execute", terminate)


@contextmanager
def _write_lock_held(path: Path) -> Iterator[None]:
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def _client(app: Flask) -> FlaskClient:
    client = signed_in_client(app, "clerk1")
    client.environ_base["HTTP_X_CSRF_TOKEN"] = csrf_token(client, "/inbox")
    return client


def test_json_call_answers_503_then_works(app: Flask, trouble: Trouble) -> None:
    client = _client(app)
    body = {"process_id": "new_business", "data": applicant()}
    with trouble():
        refused = client.post("/api/v1/cases", json=body)
    assert refused.status_code == 503, refused.get_data(as_text=True)
    assert refused.headers["Retry-After"] == "5"
    assert "try again in a moment" in refused.get_json()["error"]["message"]
    again = client.post("/api/v1/cases", json=body)
    assert again.status_code == 201, again.get_json()


def test_page_answers_503_then_works(app: Flask, uow, trouble: Trouble) -> None:  # type: ignore[no-untyped-def]
    client = _client(app)
    case_id = flows.start(uow, "new_business", applicant())
    task_id = flows.open_task(uow, case_id, "record_first_premium")
    form = {"csrf_token": csrf_token(client, "/inbox")}
    with trouble():
        refused = client.post(f"/tasks/{task_id}/claim", data=form)
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "5"
    page = refused.get_data(as_text=True)
    assert "Try again in a moment" in page and "Traceback" not in page
    assert flows.show(uow, case_id).open_tasks[0].assignee is None  # nothing was written
    assert client.post(f"/tasks/{task_id}/claim", data=form).status_code == 302
    assert flows.show(uow, case_id).open_tasks[0].assignee == "clerk1"


def test_database_that_cannot_be_reached_answers_503(database_url: str, tmp_path: Path) -> None:
    unreachable = ("postgresql://postgres@127.0.0.1:1/insurflow" if
                   database_url.startswith("postgresql")
                   else f"sqlite:///{tmp_path / 'no-such-directory' / 'insurflow.db'}")
    app = create_app({"DATABASE_URL": unreachable, "TESTING": True})
    client = app.test_client()
    answer = client.get("/api/v1/tasks", headers={"Authorization": "Basic Y2xlcmsxOng="})
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    assert "try again" in answer.get_json()["error"]["message"]
    token = csrf_token(client)
    page = client.post("/login", data={"username": "clerk1", "password": "x",
                                       "csrf_token": token})
    assert page.status_code == 503 and "Try again in a moment" in page.get_data(as_text=True)


@contextmanager
def _writers_shut_out(database_url: str, db_engine: Engine) -> Iterator[None]:
    """Every write waits meanwhile: SQLite's write lock, or PostgreSQL's EXCLUSIVE lock on
    the case and task tables (which still lets readers in)."""
    if database_url.startswith("sqlite"):
        with _write_lock_held(Path(database_url.removeprefix("sqlite:///"))):
            yield
        return
    with db_engine.connect() as holder:
        holder.execute(text("LOCK TABLE cases, human_task IN EXCLUSIVE MODE"))
        yield
        holder.rollback()


def test_reading_pages_never_wait_for_a_writer(app: Flask, uow, database_url: str,  # type: ignore[no-untyped-def]
                                               db_engine: Engine) -> None:
    client = _client(app)
    case_id = flows.start(uow, "new_business", applicant())
    task_id = flows.open_task(uow, case_id, "record_first_premium")
    with _writers_shut_out(database_url, db_engine):
        for path in ("/inbox", f"/cases/{case_id}", f"/tasks/{task_id}",
                     f"/api/v1/cases/{case_id}", "/api/v1/tasks"):
            assert client.get(path).status_code == 200, path


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_transaction_the_server_rolled_back_is_a_409(app: Flask) -> None:
    """A deadlock the lock order did not prevent (or a serialization failure) is a lost race
    like any other: 409, never a 500. PostgreSQL only: SQLite has no such errors."""
    client = _client(app)
    engine = app.extensions["insurflow.engine"]

    def deadlock(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        """What SQLAlchemy raises when the server reports a deadlock."""
        raise OperationalError(statement, {}, psycopg_errors.DeadlockDetected("deadlock"))

    event.listen(engine, "before_cursor_execute", deadlock, once=True)
    answer = client.post("/api/v1/cases", json={"process_id": "new_business",
                                                "data": applicant()})
    assert answer.status_code == 409
    assert "someone else changed this case" in answer.get_json()["error"]["message"]
