"""The worker loop: take due jobs, run each in its own transaction, sleep until the next.

Any number of workers share one PostgreSQL database; on SQLite run one. A worker takes a
small batch of due jobs in a short transaction (row locks, SKIP LOCKED, a lease), then runs
them one by one (`job_runs.run_job`). Idle, it sleeps until the earliest queued job is due,
at most `idle_poll` seconds, and on PostgreSQL wakes early on NOTIFY when a job is queued.
`stop()` (SIGTERM) lets the current job finish and gives the rest of the batch back.

A database error (a lost connection, a restart, SQLite's write lock held too long) never
ends a long-running worker: the jobs it holds are given back, it waits (with backoff) and
carries on. A heartbeat thread writes the worker's row every `heartbeat_every` seconds,
idle or busy, so `jobs status` can tell a dead worker from an idle one.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import current_time
from models import WorkerHeartbeat

from . import job_runs, jobs
from .db_errors import passing_trouble
from .errors import Conflict
from .unit_of_work import UnitOfWork
from .worker_wait import Backoff, PostgresListener, first_line

log = logging.getLogger("insurflow.worker")
# What a database in trouble raises here: SQLAlchemy's errors, and the Conflict a unit of
# work's commit makes of SQLite's "database is locked".
DATABASE_ERRORS = (SQLAlchemyError, Conflict)


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
        self._backoff = Backoff()
        self._registered = False  # our heartbeat row was written since we started
        self.current_job: int | None = None
        self.done = 0

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> int:
        """Run until stopped (or, with `once`/`max_jobs`, until done); returns jobs run."""
        self.beat()
        beating = _HeartbeatThread(self) if not self.options.once else None
        try:
            while not self._stopping.is_set() and not self._enough():
                try:
                    if not self._turn():
                        break
                except DATABASE_ERRORS as error:
                    if self.options.once:
                        raise
                    self._back_off(error)
                else:
                    self._backoff.reset()
        finally:
            if beating is not None:
                beating.finish()
            self.beat(stopped=True)
        return self.done

    def _turn(self) -> bool:
        """Take due jobs and run them, or wait for some; False when `once` has run out."""
        taken = self._claim()
        if taken:
            self._run_batch(taken)
        elif self.options.once:
            return False
        else:
            self._wait(self._idle_seconds())
        return True

    def _back_off(self, error: Exception) -> None:
        delay = self._backoff.next_delay()
        log.warning("database error (%s); jobs held were given back; trying again in %.1f s",
                    first_line(error), delay)
        self._stopping.wait(delay)

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
                self._give_back(taken[index:])
                return
            self.current_job = job_id
            try:
                self._run_one(job_id)
            except DATABASE_ERRORS:
                self._give_back(taken[index:])
                raise
            finally:
                self.current_job = None
            self.done += 1

    def _give_back(self, job_ids: list[int]) -> None:
        """Jobs taken but not done go back to the queue; if even that fails, their lease
        runs out and a worker takes them again then."""
        try:
            with UnitOfWork(self._factory) as work:
                jobs.release(work.session, job_ids, self.options.worker_id)
                work.commit()
        except DATABASE_ERRORS as error:
            log.warning("could not give back jobs %s (%s); they are taken again when their "
                        "lease runs out", job_ids, first_line(error))

    def _run_one(self, job_id: int) -> None:
        """A job that fails is marked failed; passing database trouble is not the job's
        fault and is raised, so the job is given back and run again."""
        worker_id = self.options.worker_id
        try:
            with UnitOfWork(self._factory) as work:
                job_runs.run_job(work.session, job_id, worker_id)
                work.commit()
        except job_runs.LeaseLost as lost:
            log.warning("%s", lost)
        except Exception as error:  # noqa: BLE001 - one bad job must not stop the worker
            if passing_trouble(error) or passing_trouble(error.__cause__):
                raise
            log.exception("job %s failed", job_id)
            with UnitOfWork(self._factory) as work:
                jobs.finish(work.session, job_id, worker_id, "failed",
                            f"{type(error).__name__}: {error}")
                work.commit()

    def _idle_seconds(self) -> float:
        with UnitOfWork(self._factory, read_only=True) as work:
            due = jobs.next_due_at(work.session)
        if due is None:
            return self.options.idle_poll
        return max(0.0, min(self.options.idle_poll, (due - current_time()).total_seconds()))

    def beat(self, stopped: bool = False) -> None:
        """Write our heartbeat row; a failure is logged and the next beat tries again."""
        now = current_time()
        try:
            with UnitOfWork(self._factory) as work:
                row = work.session.get(WorkerHeartbeat, self.options.worker_id)
                if row is None or not self._registered:
                    row = work.session.merge(WorkerHeartbeat(
                        worker_id=self.options.worker_id, host=socket.gethostname(),
                        pid=os.getpid(), started_at=now, jobs_done=0))
                row.last_heartbeat_at, row.current_job_id = now, self.current_job
                row.jobs_done, row.stopped_at = self.done, now if stopped else None
                work.commit()
            self._registered = True
        except DATABASE_ERRORS as error:
            log.warning("heartbeat failed (%s); the next one tries again", first_line(error))


class _HeartbeatThread:
    """Beats every `heartbeat_every` seconds while the worker runs, idle or in a long job."""

    def __init__(self, worker: Worker) -> None:
        self._worker = worker
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._beat_until_done, daemon=True,
                                        name=f"heartbeat-{worker.options.worker_id}")
        self._thread.start()

    def _beat_until_done(self) -> None:
        while not self._done.wait(self._worker.options.heartbeat_every):
            self._worker.beat()

    def finish(self) -> None:
        self._done.set()
        self._thread.join()


def postgres_waiter(engine: Engine) -> Callable[[float], None]:
    """Wait up to `timeout` seconds, returning early when a job is queued (LISTEN/NOTIFY);
    the LISTEN connection is opened on first use and again after it fails."""
    return PostgresListener(engine)
