"""Moving the engine's clock and running the worker in-process, for timer and retry tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import set_clock
from models import Job
from services.worker import Worker, WorkerOptions


class MovableClock:
    def __init__(self, start: datetime) -> None:
        self.now = start
        set_clock(lambda: self.now)

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def run_due_jobs(session_factory: sessionmaker[Session]) -> int:
    """What one worker does with the jobs due now (repeated until nothing more is due)."""
    return Worker(session_factory, WorkerOptions(worker_id="test-worker", once=True)).run()


def jobs_of(session_factory: sessionmaker[Session], case_id: int) -> list[Job]:
    with session_factory() as session:
        return list(session.scalars(select(Job).where(Job.case_id == case_id)
                                    .order_by(Job.id)))
