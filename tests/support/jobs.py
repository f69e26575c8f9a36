"""Moving the engine's clock and running the worker in-process, for timer and retry tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import set_clock
from models import Job
from services.worker import Worker, WorkerOptions
from tests.support import flows
from tests.support.handlers import FLAKY_CALLS, OUTAGE

# Test processes with background, flaky and failing service tasks, and their start instant.
BACKGROUND = Path(__file__).resolve().parent.parent / "fixtures" / "background"
START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


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


def background_clock(uow: flows.UowFactory) -> MovableClock:
    """A clock at START, the background test processes deployed, and the test handlers'
    outside systems as new (the flaky one forgets its calls, the outage is down)."""
    clock = MovableClock(START)
    flows.deploy(uow, BACKGROUND)
    FLAKY_CALLS.clear()
    OUTAGE["down"] = True
    return clock


def wait_until(check: Callable[[], Any], seconds: float, what: str) -> Any:
    """Poll `check` until it gives a true value (returned), for a worker process to act."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {seconds}s waiting for {what}")
