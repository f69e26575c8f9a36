"""Running one job: the case is locked, moved on and saved, and the job closed, in one
transaction. A crash before the commit leaves nothing half done; the lease runs out and
another worker takes the job again."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import EngineInvariantError, RunResult, TaskNotReady
from engine.clock import current_time, one_instant
from models import Incident, Job

from . import audit, case_store, jobs
from .cases import get_case
from .errors import NotFound


class LeaseLost(Exception):
    """Another worker took the job over (our lease ran out); our work is rolled back."""


# The input a job gives its case, recorded so a replay can repeat the step (a timer job
# needs none: its `timer_fired` events say what fired).
JOB_INPUTS = {"service": "background_task_run", "retry": "retry_attempted"}


@one_instant
def run_job(session: Session, job_id: int, worker_id: str) -> str:
    """Run a job we hold the lease of; returns its final status ("done" or "cancelled")."""
    job = session.get(Job, job_id)
    if job is None:
        raise LeaseLost(f"job {job_id} is gone")
    get_case(session, job.case_id, for_update=True)  # serialise with every writer of the case
    session.refresh(job)
    if job.status != "running" or job.lease_owner != worker_id:
        raise LeaseLost(f"job {job_id} is now held by {job.lease_owner}")
    loaded = case_store.load(session, get_case(session, job.case_id))
    try:
        result, attempt = _step(loaded, job)
    except TaskNotReady as error:  # the task was completed, skipped or cancelled meanwhile
        _finish(session, job, worker_id, "cancelled", str(error))
        return "cancelled"
    except EngineInvariantError as error:
        raise RuntimeError(f"case {job.case_id}: {error}") from error
    if job.kind in JOB_INPUTS:
        audit.record(session, loaded.case, JOB_INPUTS[job.kind], audit.SYSTEM, job.element_id,
                     {"task_id": job.task_id, "job_id": job.id, "attempt": job.attempts + 1})
    case_store.save(session, loaded, result, attempt=attempt)
    if job.kind == "retry" and result.incident is None:
        _resolve_incidents(session, job)
    _finish(session, job, worker_id, "done", None)
    return "done"


def _step(loaded: case_store.LoadedCase, job: Job) -> tuple[RunResult, int]:
    runtime = loaded.runtime
    if job.kind == "timer":
        return runtime.fire_due_timers(), 1
    if job.kind == "service" and job.task_id:
        return runtime.run_background_task(job.task_id), 1
    if job.kind == "retry" and job.task_id:
        result = runtime.retry_failed_task(job.task_id)
        # a later task failing for the first time starts its own count
        same_task = result.incident is not None and result.incident.task_id == job.task_id
        return result, job.attempts + 1 if same_task else 1
    raise TaskNotReady(f"job {job.id}: unknown kind {job.kind!r}")


def _finish(session: Session, job: Job, worker_id: str, status: str, error: str | None) -> None:
    session.flush()
    if not jobs.finish(session, job.id, worker_id, status, error):
        raise LeaseLost(f"job {job.id}: the lease ran out before the work was saved")


def _resolve_incidents(session: Session, job: Job) -> None:
    for incident in session.scalars(select(Incident).where(
            Incident.case_id == job.case_id, Incident.task_id == job.task_id,
            Incident.status == "open")):
        incident.status, incident.resolved_at = "resolved", current_time()


@one_instant
def retry_incident(session: Session, incident_id: int) -> int:
    """Try an incident's task again, in the background, with a fresh set of attempts (after
    the cause is fixed); returns the job's id. The caller commits; a worker runs it at once."""
    incident = session.get(Incident, incident_id)
    if incident is None or incident.status != "open":
        raise NotFound(f"there is no open incident {incident_id}")
    case = get_case(session, incident.case_id, for_update=True)
    now = current_time()
    incident.status, incident.resolved_at = "retried", now
    case.status, case.updated_at = "retrying", now
    audit.record(session, case, "incident_retry_queued", audit.SYSTEM, incident.element_id,
                 {"incident_id": incident.id, "task_id": incident.task_id,
                  "error": incident.message})
    return jobs.schedule_retry(session, case, incident.task_id, incident.element_id, 0, now,
                               f"{incident.error_type}: {incident.message}")
