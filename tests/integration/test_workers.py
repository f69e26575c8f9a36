"""Worker processes on PostgreSQL: a job runs once across workers; a killed worker loses
nothing. Real `insurflow worker` processes, the handler's effects counted outside them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from services import cases
from tests.support import flows
from tests.support.jobs import wait_until

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "background"
ENTRY = ("import sys, tests.support.handlers; from cli.main import main; "
         "sys.argv[0] = 'insurflow'; main()")
pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
def outside(db_engine: Engine) -> Engine:
    """The outside system test.record_effect calls: every call, and effects by key."""
    with db_engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS test_call, test_effect"))
        conn.execute(text("CREATE TABLE test_call (idempotency_key TEXT, pid INTEGER)"))
        conn.execute(text("CREATE TABLE test_effect (idempotency_key TEXT PRIMARY KEY, "
                          "pid INTEGER)"))
    return db_engine


@pytest.fixture
def spawn(database_url: str, tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    env = {**os.environ, "INSURFLOW_DATABASE_URL": database_url,
           "INSURFLOW_SECRET_KEY": "worker-test-" + "k" * 32}

    def start(worker_id: str, *args: str) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"{worker_id}.log").open("wb")  # never a pipe nobody reads
        process = subprocess.Popen([sys.executable, "-c", ENTRY, "worker", "--worker-id",
                                    worker_id, *args], cwd=ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def _scalar(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def _start_cases(uow, sleeps: list[float]) -> None:  # type: ignore[no-untyped-def]
    with uow() as work:
        for sleep in sleeps:
            cases.start_case(work.session, "background_effect", {"sleep": sleep}, "clerk1")
        work.commit()


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0


def test_two_workers_run_each_of_500_jobs_once(uow, outside, spawn) -> None:  # type: ignore[no-untyped-def]
    flows.deploy(uow, FIXTURES)
    workers = [spawn("worker-a"), spawn("worker-b")]
    wait_until(lambda: _scalar(outside, "SELECT count(*) FROM worker_heartbeat") == 2, 30,
           "both workers to start")
    _start_cases(uow, [0] * 500)
    wait_until(lambda: _scalar(outside, "SELECT count(*) FROM job WHERE status = 'done'") == 500,
           45, "500 jobs done")
    for worker in workers:
        _stop(worker)
    assert _scalar(outside, "SELECT count(*) FROM test_call") == 500
    assert _scalar(outside, "SELECT count(DISTINCT idempotency_key) FROM test_call") == 500
    assert _scalar(outside, "SELECT count(*) FROM test_effect") == 500
    assert _scalar(outside, "SELECT count(*) FROM cases WHERE status = 'completed'") == 500
    with outside.connect() as conn:
        done = dict(conn.execute(text(
            "SELECT worker_id, jobs_done FROM worker_heartbeat WHERE stopped_at IS NOT NULL")
        ).all())
    assert sum(done.values()) == 500 and set(done) == {"worker-a", "worker-b"}
    assert min(done.values()) > 0, done  # both shared the work


def test_killed_worker_loses_nothing(uow, outside, spawn) -> None:  # type: ignore[no-untyped-def]
    flows.deploy(uow, FIXTURES)
    _start_cases(uow, [30.0] + [0] * 9)  # the first job hangs in its outside call
    first = spawn("worker-a", "--lease", "2", "--batch", "1")
    key = wait_until(lambda: _scalar(outside, "SELECT idempotency_key FROM test_call"), 30,
                 "worker-a to call the outside system")
    first.send_signal(signal.SIGKILL)  # mid-job: the call was made, nothing committed
    first.wait(timeout=10)
    assert _scalar(outside, "SELECT status FROM job ORDER BY id LIMIT 1") == "running"

    second = spawn("worker-b", "--lease", "2")
    wait_until(lambda: _scalar(outside, "SELECT count(*) FROM job WHERE status = 'done'") == 10,
           30, "worker-b to finish every job")
    _stop(second)
    calls = _scalar(outside, "SELECT count(*) FROM test_call WHERE idempotency_key = :k", k=key)
    assert calls == 2  # run again after the lease ran out, with the same idempotency key
    assert _scalar(outside, "SELECT count(*) FROM test_effect") == 10  # one effect per job
    assert _scalar(outside, "SELECT count(*) FROM cases WHERE status = 'completed'") == 10
    assert _scalar(outside, "SELECT lease_owner FROM job ORDER BY id LIMIT 1") == "worker-b"
    assert "worker-a" in _scalar(outside, "SELECT last_error FROM job ORDER BY id LIMIT 1")
