"""The worker loop: take due jobs, run each in its own transaction, sleep until the next.

Any number of workers share one PostgreSQL database; on SQLite run one. A worker takes a
small batch of due jobs in a short transaction (row locks, SKIP LOCKED, a lease), then runs
them one by one (`job_runs.run_job`). Idle, it sleeps until the earliest queued job is due,
at most `idle_poll` seconds, and on PostgreSQL wakes early on NOTIFY when a job is queued.
`stop()` (SIGTERM) lets the current job finish and gives the rest of the batch back.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import current_time
from models import WorkerHeartbeat

from . import job_runs, jobs
from .unit_of_work import UnitOfWork

log = logging.getLogger("insurflow.worker")


@dataclass
class WorkerOptions:
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}")
    lease: timedelta = timedelta(minutes=5)
    batch: int = 5
    idle_poll: float = 0.5
    heartbeat_every: float = 2.0
    once: bool = False  # run what is due now, then return
    max_jobs: int | None = None


class Worker:
    def __init__(self, session_factory: sessionmaker[Session], options: WorkerOptions,
                 wait_for_jobs: Callable[[float], None] | None = None) -> None:
        self._factory = session_factory
        self.options = options
        self._stopping = threading.Event()
        self._wait = wait_for_jobs or self._stopping.wait
        self._last_beat = 0.0
        self.done = 0

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> int:
        """Run until stopped (or, with `once`/`max_jobs`, until done); returns jobs run."""
        self._beat(None, started=True)
        try:
            while not self._stopping.is_set() and not self._enough():
                taken = self._claim()
                if taken:
                    self._run_batch(taken)
                elif self.options.once:
                    break
                else:
                    self._wait(self._idle_seconds())
        finally:
            self._beat(None, stopped=True)
        return self.done

    def _enough(self) -> bool:
        return self.options.max_jobs is not None and self.done >= self.options.max_jobs

    def _claim(self) -> list[int]:
        limit = self.options.batch
        if self.options.max_jobs is not None:
            limit = min(limit, self.options.max_jobs - self.done)
        with UnitOfWork(self._factory) as work:
            taken = [job.id for job in jobs.claim(work.session, self.options.worker_id,
                                                  self.options.lease, limit)]
            work.commit()
        return taken

    def _run_batch(self, taken: list[int]) -> None:
        for index, job_id in enumerate(taken):
            if self._stopping.is_set():
                with UnitOfWork(self._factory) as work:
                    jobs.release(work.session, taken[index:], self.options.worker_id)
                    work.commit()
                return
            self._beat(job_id)
            self._run_one(job_id)
            self.done += 1

    def _run_one(self, job_id: int) -> None:
        worker_id = self.options.worker_id
        try:
            with UnitOfWork(self._factory) as work:
                job_runs.run_job(work.session, job_id, worker_id)
                work.commit()
        except job_runs.LeaseLost as lost:
            log.warning("%s", lost)
        except Exception as error:  # noqa: BLE001 - one bad job must not stop the worker
            log.exception("job %s failed", job_id)
            with UnitOfWork(self._factory) as work:
                jobs.finish(work.session, job_id, worker_id, "failed",
                            f"{type(error).__name__}: {error}")
                work.commit()

    def _idle_seconds(self) -> float:
        with UnitOfWork(self._factory) as work:
            due = jobs.next_due_at(work.session)
        if due is None:
            return self.options.idle_poll
        return max(0.0, min(self.options.idle_poll, (due - current_time()).total_seconds()))

    def _beat(self, job_id: int | None, started: bool = False, stopped: bool = False) -> None:
        now_mono = time.monotonic()
        if not (started or stopped) and now_mono - self._last_beat < self.options.heartbeat_every:
            return
        self._last_beat = now_mono
        now = current_time()
        with UnitOfWork(self._factory) as work:
            row = work.session.get(WorkerHeartbeat, self.options.worker_id)
            if row is None or started:
                row = work.session.merge(WorkerHeartbeat(
                    worker_id=self.options.worker_id, host=socket.gethostname(),
                    pid=os.getpid(), started_at=now, jobs_done=0))
            row.last_heartbeat_at, row.current_job_id = now, job_id
            row.jobs_done, row.stopped_at = self.done, now if stopped else None
            work.commit()


def postgres_waiter(engine: Engine) -> Callable[[float], None]:
    """Wait up to `timeout` seconds, returning early when a job is queued (LISTEN/NOTIFY)."""
    raw = engine.raw_connection()
    connection: Any = raw.driver_connection
    raw.detach()  # ours alone: autocommit must never leak back into the pool's sessions
    connection.autocommit = True
    connection.execute(f"LISTEN {jobs.NOTIFY_CHANNEL}")

    def wait(timeout: float, _keep: Any = raw) -> None:
        if timeout <= 0:
            return
        for _ in connection.notifies(timeout=timeout, stop_after=1):
            pass

    return wait
