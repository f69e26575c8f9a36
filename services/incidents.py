"""Incidents an administrator deals with: list the open ones, retry one, or skip it.

Retry re-runs the failed service task after the cause was fixed; skip completes it without
running its handler (its result variable says `{"skipped": true, "reason": ...}`) so the
case moves on. Both lock the case, are written to its history and close the incident.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import EngineInvariantError, RunResult, TaskNotReady
from engine.clock import current_time, one_instant
from models import Case, Incident

from . import audit, case_store
from .cases import get_case
from .errors import Conflict, InvalidInput, NotFound

RESOLVED, SKIPPED, RETRIED = "resolved", "skipped", "retried"
# Who may retry or skip an incident, on the web and the CLI alike.
RESOLVING_ROLES = ("admin",)


@dataclass(frozen=True)
class OpenIncident:
    incident: Incident
    case: Case


@dataclass(frozen=True)
class Resolution:
    incident: Incident
    case: Case
    # A retry that failed again opens a new incident at the same task.
    new_incident: Incident | None


def list_open_incidents(session: Session, limit: int = 200) -> list[OpenIncident]:
    rows = session.execute(select(Incident, Case).join(Case, Case.id == Incident.case_id)
                           .where(Incident.status == "open")
                           .order_by(Incident.created_at, Incident.id).limit(limit)).all()
    return [OpenIncident(incident, case) for incident, case in rows]


@one_instant
def open_incidents_of(session: Session, case_id: int) -> list[Incident]:
    """A case's open incidents, oldest first: where it is stopped."""
    return list(session.scalars(select(Incident).where(
        Incident.case_id == case_id, Incident.status == "open").order_by(Incident.id)))


def retry_incident(session: Session, incident_id: int, actor: str) -> Resolution:
    """Run the failed task again (after someone fixed what made it fail)."""
    incident, case = _open_incident_locked(session, incident_id)
    loaded = case_store.load(session, case)
    audit.record(session, case, "incident_retried", actor, incident.element_id,
                 {"incident_id": incident.id, "task_id": incident.task_id,
                  "error": incident.message})
    result = _step(case, lambda: loaded.runtime.retry_failed_task(incident.task_id))
    case_store.save(session, loaded, result)
    again = _newest_open_incident(session, case, incident) if result.incident else None
    _close(incident, RETRIED if again else RESOLVED, actor,
           f"retried; failed again as incident {again.id}" if again else "retried")
    return Resolution(incident, case, again)


@one_instant
def skip_incident(session: Session, incident_id: int, reason: str, actor: str) -> Resolution:
    """Complete the failed task without its handler; the reason is kept in the history."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("say why the step may be skipped",
                           {"reason": ["This field is required."]})
    incident, case = _open_incident_locked(session, incident_id)
    loaded = case_store.load(session, case)
    audit.record(session, case, "incident_skipped", actor, incident.element_id,
                 {"incident_id": incident.id, "task_id": incident.task_id,
                  "error": incident.message, "reason": reason})
    result = _step(case, lambda: loaded.runtime.skip_failed_task(incident.task_id, reason))
    case_store.save(session, loaded, result)
    _close(incident, SKIPPED, actor, reason)
    again = _newest_open_incident(session, case, incident) if result.incident else None
    return Resolution(incident, case, again)


def _open_incident_locked(session: Session, incident_id: int) -> tuple[Incident, Case]:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"there is no incident {incident_id}")
    case = get_case(session, incident.case_id, for_update=True)
    session.refresh(incident)
    if incident.status != "open":
        raise Conflict(f"incident {incident_id} is already {incident.status}")
    return incident, case


def _step(case: Case, step: Callable[[], RunResult]) -> RunResult:
    try:
        result = step()
    except TaskNotReady as error:
        raise Conflict(f"the failed step of case {case.id} is no longer waiting") from error
    except EngineInvariantError as error:
        raise RuntimeError(f"case {case.id}: {error}") from error
    return result


def _newest_open_incident(session: Session, case: Case, old: Incident) -> Incident | None:
    session.flush()
    return session.scalar(select(Incident).where(Incident.case_id == case.id,
                                                 Incident.status == "open",
                                                 Incident.id != old.id)
                          .order_by(Incident.id.desc()).limit(1))


def _close(incident: Incident, status: str, actor: str, note: str) -> None:
    incident.status, incident.resolved_at = status, current_time()
    incident.resolved_by, incident.resolution_note = actor, note
