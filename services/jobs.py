"""The job queue: scheduling jobs for a case, taking due jobs with a lease, finishing them.

Everything here runs inside the caller's transaction. Taking jobs (`claim`) is meant for a
short transaction of its own; running one is `services.job_runs.run_job`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, and_, bindparam, func, insert, or_, select, text, update
from sqlalchemy.orm import Session

from engine.clock import current_time
from models import Case, Job
from models.direct import DirectStatement, every_column

NOTIFY_CHANNEL = "insurflow_jobs"
ACTIVE = ("queued", "running")
_ACTIVE_SERVICE_JOBS = select(Job.task_id).where(
    Job.case_id == bindparam("case_id"), Job.kind == "service", Job.status.in_(ACTIVE))
# A step schedules and moves its case's jobs with these (built once, run on the connection).
_QUEUED_TIMER_JOBS = DirectStatement(select(Job.id, Job.due_at).where(
    Job.case_id == bindparam("case_id"), Job.kind == "timer", Job.status == "queued",
).order_by(Job.id))
_ENQUEUE = DirectStatement(insert(Job).returning(Job.id),
                           every_column(cast(Table, Job.__table__), "id"))
_CANCEL = DirectStatement(
    update(Job).where(Job.id == bindparam("job_id"))
    .values(status="cancelled", updated_at=bindparam("at"), finished_at=bindparam("at")))
_MOVE = DirectStatement(update(Job).where(Job.id == bindparam("job_id"))
                        .values(due_at=bindparam("new_due_at"), updated_at=bindparam("at")))


def enqueue(session: Session, kind: str, case_id: int, due_at: datetime, *,
            task_id: str | None = None, element_id: str | None = None,
            attempts: int = 0, last_error: str | None = None) -> int:
    """Queue a job; returns its id."""
    now = current_time()
    job_id = _ENQUEUE.first_value(session.connection(), {
        "kind": kind, "case_id": case_id, "task_id": task_id, "element_id": element_id,
        "due_at": due_at, "status": "queued", "attempts": attempts, "last_error": last_error,
        "lease_owner": None, "lease_until": None, "created_at": now, "updated_at": now,
        "finished_at": None})
    _notify(session)
    return int(job_id)


def _notify(session: Session) -> None:
    """On PostgreSQL, wake listening workers when this transaction commits (once each)."""
    session.connection()  # begins the transaction, so it can be told apart from the last
    transaction = session.get_transaction()
    if session.get_bind().dialect.name == "postgresql" and \
            session.info.get("insurflow.jobs.notified") is not transaction:
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})
        session.info["insurflow.jobs.notified"] = transaction


def sync_case_jobs(session: Session, case: Case, next_due: datetime | None,
                   background: Sequence[tuple[str, str]]) -> None:
    """After a step: one queued timer job at the case's next due time, one job per
    background service task waiting for a worker."""
    previous, case.next_due_at = case.next_due_at, next_due
    if previous is not None or next_due is not None:
        _sync_timer_job(session, case, next_due)
    if background:
        known = set(session.scalars(_ACTIVE_SERVICE_JOBS, {"case_id": case.id}))
        for task_id, element_id in background:
            if task_id not in known:
                enqueue(session, "service", case.id, current_time(), task_id=task_id,
                        element_id=element_id)


def _sync_timer_job(session: Session, case: Case, next_due: datetime | None) -> None:
    connection, now = session.connection(), current_time()
    queued = _QUEUED_TIMER_JOBS.all(connection, {"case_id": case.id})
    extra = queued[1:] if next_due is not None else queued
    if extra:
        _CANCEL.execute(connection, [{"job_id": job.id, "at": now} for job in extra])
    if next_due is None:
        return
    if queued:
        if queued[0].due_at != next_due:
            _MOVE.execute(connection, {"job_id": queued[0].id, "new_due_at": next_due,
                                       "at": now})
    else:
        enqueue(session, "timer", case.id, next_due)


def schedule_retry(session: Session, case: Case, task_id: str, element_id: str,
                   attempts: int, due_at: datetime, error: str) -> int:
    """The next attempt of a failed service task (its job id); `attempts` made so far."""
    return enqueue(session, "retry", case.id, due_at, task_id=task_id, element_id=element_id,
                   attempts=attempts, last_error=error)


def claim(session: Session, worker_id: str, lease: timedelta, limit: int = 1) -> list[Job]:
    """Take up to `limit` due jobs (or jobs whose lease ran out) and lease them to us.

    `FOR UPDATE SKIP LOCKED`: concurrent workers never wait for, nor take, the same rows.
    SQLite ignores it; there a single worker runs.
    """
    now = current_time()
    due = or_(and_(Job.status == "queued", Job.due_at <= now),
              and_(Job.status == "running", Job.lease_until < now))
    jobs = list(session.scalars(select(Job).where(due).order_by(Job.due_at).limit(limit)
                                .with_for_update(skip_locked=True)))
    for job in jobs:
        if job.status == "running":
            job.last_error = f"retaken: the lease of {job.lease_owner} ran out"
        job.status, job.lease_owner = "running", worker_id
        job.lease_until, job.updated_at = now + lease, now
    return jobs


def finish(session: Session, job_id: int, worker_id: str, status: str = "done",
           error: str | None = None) -> bool:
    """Close our job; False if the lease is no longer ours (another worker retook it)."""
    now = current_time()
    values: dict[str, object] = {"status": status, "finished_at": now, "updated_at": now,
                                 "lease_until": None}
    if error is not None:
        values["last_error"] = error[:4000]
    result = session.execute(update(Job).where(
        Job.id == job_id, Job.lease_owner == worker_id, Job.status == "running")
        .values(**values).execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0) == 1)


def release(session: Session, job_ids: Sequence[int], worker_id: str) -> None:
    """Give jobs we took but did not start back to the queue (graceful stop)."""
    if job_ids:
        session.execute(update(Job).where(
            Job.id.in_(job_ids), Job.lease_owner == worker_id, Job.status == "running")
            .values(status="queued", lease_owner=None, lease_until=None,
                    updated_at=current_time()).execution_options(synchronize_session=False))


def next_due_at(session: Session) -> datetime | None:
    """When the earliest queued job is due: how long an idle worker may sleep."""
    return session.scalar(select(func.min(Job.due_at)).where(Job.status == "queued"))


@dataclass(frozen=True)
class RetryState:
    attempts: int
    last_error: str | None
    due_at: datetime


def pending_retry(session: Session, case_id: int) -> RetryState | None:
    job = session.scalar(select(Job).where(Job.case_id == case_id, Job.kind == "retry",
                                           Job.status.in_(ACTIVE)).order_by(Job.id.desc()))
    return RetryState(job.attempts, job.last_error, job.due_at) if job else None
