"""The job queue (timers, background service tasks, retries) and the workers that run it.

The database is the only queue: workers on any number of machines take due jobs with row
locks (`FOR UPDATE SKIP LOCKED` on PostgreSQL) and a lease; a job whose worker died is
taken again once its lease has run out.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow

# kind: "timer" (fire a case's due timers), "service" (run a background service task),
# "retry" (run a failed service task again).
JOB_KINDS = ("timer", "service", "retry")
JOB_STATUSES = ("queued", "running", "done", "failed", "cancelled")


class Job(Base):
    __tablename__ = "job"
    __table_args__ = (
        # the worker's "what is due next" query reads this index in order
        Index("ix_job_status_due_at", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    element_id: Mapped[str | None] = mapped_column(String(200))
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    # service-task attempts for "retry" jobs; runs of the job itself otherwise
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class WorkerHeartbeat(Base):
    """One row per worker process: what it is doing and when it last said so."""

    __tablename__ = "worker_heartbeat"

    worker_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    host: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow)
    current_job_id: Mapped[int | None]
    jobs_done: Mapped[int] = mapped_column(default=0)
    stopped_at: Mapped[datetime | None]
