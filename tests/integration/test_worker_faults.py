"""The worker survives database errors outside a job: a real `insurflow worker` process has
its PostgreSQL backends terminated (its LISTEN connection three times over), or finds
SQLite's write lock held past its busy timeout while it beats; it keeps running, runs a job
due afterwards, and `jobs status` tells it (idle) from a dead one."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from psycopg import errors as psycopg_errors
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import OperationalError

from app import create_app
from engine.clock import set_clock
from models import WorkerHeartbeat
from services.job_status import jobs_status
from services.worker import Worker, WorkerOptions
from tests.support import flows
from tests.support.auth import signed_in_client
from tests.support.jobs import BACKGROUND, MovableClock, wait_until

ROOT = Path(__file__).resolve().parents[2]
ENTRY = ("import sys, tests.support.handlers; from cli.main import main; "
         "sys.argv[0] = 'insurflow'; main()")
LISTENING = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
             "AND query LIKE 'LISTEN%'")


@pytest.fixture
def worker(database_url: str, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    log_path = tmp_path / "worker.log"
    env = {**os.environ, "INSURFLOW_DATABASE_URL": database_url,
           "INSURFLOW_SECRET_KEY": "worker-test-" + "k" * 32,
           "INSURFLOW_SQLITE_BUSY_TIMEOUT": "0.2"}
    with log_path.open("wb") as log:  # never a pipe nobody reads
        process = subprocess.Popen([sys.executable, "-c", ENTRY, "worker", "--worker-id", "w1"],
                                   cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    yield process, log_path
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)


def _scalar(engine: Engine, sql: str) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar()


def _log_count(log_path: Path, words: str) -> int:
    return log_path.read_text(errors="replace").count(words)


def _terminate_backends_three_times(engine: Engine, log_path: Path) -> None:
    for round_number in range(1, 4):
        wait_until(lambda: _scalar(engine, LISTENING) == 1, 60, "the worker to LISTEN")
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                              "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
        wait_until(lambda n=round_number: _log_count(log_path, "LISTEN connection failed") >= n,
               30, "the worker to notice its LISTEN connection was cut")
    wait_until(lambda: _scalar(engine, LISTENING) == 1, 60, "the worker to LISTEN again")


def _lock_sqlite_during_heartbeats(database_url: str, log_path: Path) -> None:
    holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        wait_until(lambda: _log_count(log_path, "heartbeat failed") >= 2, 30,
               "two heartbeats to find the database locked")
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_worker_survives_database_errors(database_url: str, uow, db_engine: Engine,  # type: ignore[no-untyped-def]
                                         worker) -> None:
    process, log_path = worker
    flows.deploy(uow, BACKGROUND)
    wait_until(lambda: _scalar(db_engine, "SELECT count(*) FROM worker_heartbeat"), 60,
           "the worker to start")
    if database_url.startswith("postgresql"):
        _terminate_backends_three_times(db_engine, log_path)
    else:
        _lock_sqlite_during_heartbeats(database_url, log_path)
    assert process.poll() is None, log_path.read_text()

    due = datetime.now(UTC).isoformat()  # due for the worker, which runs on the real clock
    case_id = flows.start(uow, "timer_wait", {"due_time": due})
    wait_until(lambda: flows.show(uow, case_id).case.status == "completed", 60,
           "the worker to fire the timer")

    real_now = datetime.now(UTC)
    set_clock(lambda: real_now)
    with uow() as work:
        [line] = jobs_status(work.session).workers
    assert (line.worker_id, line.state) == ("w1", "idle")
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0, log_path.read_text()
    with uow() as work:
        assert jobs_status(work.session).workers[0].state == "stopped"


@pytest.fixture
def app(database_url: str, uow) -> Flask:  # type: ignore[no-untyped-def]
    flows.deploy(uow, BACKGROUND)
    return create_app({"DATABASE_URL": database_url, "TESTING": True})


def test_status_tells_idle_busy_and_dead_workers(app: Flask, session_factory) -> None:  # type: ignore[no-untyped-def]
    clock = MovableClock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    idle = Worker(session_factory, WorkerOptions(worker_id="w-idle"))
    idle.beat()
    busy = Worker(session_factory, WorkerOptions(worker_id="w-busy"))
    busy.current_job = 42
    busy.beat()
    assert _states(app) == {"w-idle": "idle", "w-busy": "busy"}
    clock.advance(seconds=10)
    idle.beat()  # still beating: idle, however long it has had nothing to do
    clock.advance(seconds=10)
    assert _states(app) == {"w-idle": "idle", "w-busy": "dead"}
    page = signed_in_client(app, "sup1").get("/admin/jobs").get_data(as_text=True)
    assert "w-busy</td><td class=\"status\">dead" in page
    assert "w-idle</td><td class=\"status\">idle" in page
    text_status = app.test_cli_runner().invoke(args=["jobs", "status"]).output
    assert "dead" in text_status and "idle" in text_status
    with session_factory() as session:
        assert session.get(WorkerHeartbeat, "w-busy").current_job_id == 42


def _states(app: Flask) -> dict[str, str]:
    result = app.test_cli_runner().invoke(args=["jobs", "status", "--json"])
    assert result.exit_code == 0, result.output
    return {w["worker_id"]: w["state"] for w in json.loads(result.output)["workers"]}



def test_database_trouble_inside_a_job_gives_the_job_back(uow, db_engine: Engine,  # type: ignore[no-untyped-def]
                                                          session_factory) -> None:
    """The connection fails as the job starts: not the job's fault, so it is not marked
    failed; it goes back to the queue and the same worker runs it after backing off."""
    clock = MovableClock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    flows.deploy(uow, BACKGROUND)
    case_id = flows.start(uow, "timer_wait", {"due_time": "2026-11-25T09:01:00+00:00"})
    clock.advance(minutes=2)
    lost = (psycopg_errors.AdminShutdown("terminating connection due to administrator command")
            if db_engine.dialect.name == "postgresql" else _sqlite_busy())
    cuts: list[str] = []

    def cut(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "WHERE job.id =" in statement and not cuts:  # run_job's first read of its job
            cuts.append(statement)
            raise OperationalError(statement, {}, lost)

    event.listen(db_engine, "before_cursor_execute", cut)
    try:
        done = Worker(session_factory, WorkerOptions(worker_id="w1", max_jobs=1)).run()
    finally:
        event.remove(db_engine, "before_cursor_execute", cut)
    assert (done, len(cuts)) == (1, 1)
    assert flows.show(uow, case_id).case.status == "completed"
    with uow() as work:
        assert jobs_status(work.session).counts["failed"] == 0


def _sqlite_busy() -> sqlite3.OperationalError:
    error = sqlite3.OperationalError("database is locked")
    error.sqlite_errorname = "SQLITE_BUSY"
    return error
