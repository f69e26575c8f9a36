"""What the background machinery is doing: jobs by status, due soon, failed, workers."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.clock import current_time
from models import Job, WorkerHeartbeat

DUE_SOON = timedelta(minutes=15)
# A running worker beats every 2 s, idle or in a job (services.worker): one silent for this
# long (several beats missed) is shown as dead: its process is gone, or it cannot reach the
# database.
DEAD_AFTER = timedelta(seconds=15)


@dataclass(frozen=True)
class JobLine:
    id: int
    kind: str
    case_id: int
    element_id: str | None
    status: str
    due_at: datetime
    attempts: int
    last_error: str | None
    lease_owner: str | None
    lease_until: datetime | None


@dataclass(frozen=True)
class WorkerLine:
    worker_id: str
    host: str
    pid: int
    started_at: datetime
    last_heartbeat_at: datetime
    current_job_id: int | None
    jobs_done: int
    state: str  # busy (in a job), idle, dead (no heartbeat for DEAD_AFTER) or stopped


@dataclass(frozen=True)
class JobsStatus:
    now: datetime
    counts: dict[str, int]
    overdue: int
    running: list[JobLine]
    due_soon: list[JobLine]
    failed: list[JobLine]
    workers: list[WorkerLine]
    dead_after_seconds: int = int(DEAD_AFTER.total_seconds())

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def jobs_status(session: Session, limit: int = 50) -> JobsStatus:
    now = current_time()
    counts: dict[str, int] = {status: count for status, count in session.execute(
        select(Job.status, func.count()).group_by(Job.status))}
    overdue = session.scalar(select(func.count()).where(Job.status == "queued",
                                                        Job.due_at <= now)) or 0
    return JobsStatus(
        now=now,
        counts={status: int(counts.get(status, 0)) for status in
                ("queued", "running", "done", "failed", "cancelled")},
        overdue=int(overdue),
        running=_lines(session, Job.status == "running", limit),
        due_soon=_lines(session, (Job.status == "queued") & (Job.due_at <= now + DUE_SOON),
                        limit),
        failed=_lines(session, Job.status == "failed", limit, newest_first=True),
        workers=[_worker_line(row, now) for row in session.scalars(
            select(WorkerHeartbeat).order_by(WorkerHeartbeat.last_heartbeat_at.desc())
            .limit(limit))],
    )


def _lines(session: Session, where: Any, limit: int, newest_first: bool = False) -> list[JobLine]:
    order = Job.updated_at.desc() if newest_first else Job.due_at
    return [JobLine(j.id, j.kind, j.case_id, j.element_id, j.status, j.due_at, j.attempts,
                    j.last_error, j.lease_owner, j.lease_until)
            for j in session.scalars(select(Job).where(where).order_by(order).limit(limit))]


def _worker_line(row: WorkerHeartbeat, now: datetime) -> WorkerLine:
    if row.stopped_at is not None:
        state = "stopped"
    elif now - row.last_heartbeat_at > DEAD_AFTER:
        state = "dead"
    else:
        state = "idle" if row.current_job_id is None else "busy"
    return WorkerLine(row.worker_id, row.host, row.pid, row.started_at, row.last_heartbeat_at,
                      row.current_job_id, row.jobs_done, state)
