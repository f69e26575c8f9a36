"""Everything an auditor needs about one case on one page (and in its printable report):
who and what it is, the exact process version it ran on compared with today's, every
event in order in plain language with its data, each decision and each human step.

Read-only; the caller's unit of work provides the session (and records the view).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import values
from models import AuditEvent, Case, HumanTask, Incident, ProcessVersion

from .cases import get_case
from .decision_details import DecisionDetail, DecisionReader
from .history import describe
from .human_steps import HumanStep, human_steps
from .version_files import (
    VersionComparison,
    case_version,
    compare_with_current,
    stored_contents,
)

KIND_LABELS = {
    "case_started": "Case started", "task_ready": "Task ready", "task_claimed": "Task claimed",
    "task_released": "Task released", "task_reassigned": "Task reassigned",
    "task_completed": "Task completed", "service_called": "System step",
    "decision_evaluated": "Decision", "gateway_passed": "Path taken",
    "incident_raised": "Incident", "message_received": "Message received",
    "incident_retried": "Incident retried", "incident_skipped": "Step skipped",
    "end_reached": "End reached", "timer_fired": "Timer fired",
    "retry_scheduled": "Retry scheduled", "case_completed": "Case completed",
    "retry_attempted": "Retry attempted", "background_task_run": "Worker ran a step",
    "incident_retry_queued": "Retry queued",
}
# The data each kind of event carries that an auditor wants to read: (payload key, label)
EVENT_DATA = {
    "case_started": ("data", "Start form"),
    "task_completed": ("data", "Submitted form"),
    "service_called": ("result", "Result"),
    "message_received": ("payload", "Message"),
}


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


@dataclass(frozen=True)
class TimelineEntry:
    seq: int
    at: datetime
    actor: str
    kind: str
    label: str
    text: str
    element_id: str | None
    decision: DecisionDetail | None = None
    # (label, value) of the data the event carried, e.g. ("Submitted form", {...})
    data: list[tuple[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class CaseAudit:
    case: Case
    comparison: VersionComparison
    timeline: list[TimelineEntry]
    human_steps: list[HumanStep]
    incidents: list[Incident]

    @property
    def decisions(self) -> list[TimelineEntry]:
        return [entry for entry in self.timeline if entry.decision is not None]


def _display(payload: dict[str, Any]) -> dict[str, Any]:
    shown: dict[str, Any] = values.to_display(values.from_json_ready(payload))
    return shown


def case_events(session: Session, case_id: int) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id)
                                .order_by(AuditEvent.seq)))


def decision_reader(session: Session, version: ProcessVersion) -> DecisionReader:
    """Reads the decision tables from the DMN files of `version` (the case's own)."""
    files = version.files
    dmn = {path: digest for path, digest in files.items() if path.endswith(".dmn")}
    contents = stored_contents(session, set(dmn.values()))
    return DecisionReader({path: contents.get(d, "") for path, d in dmn.items()}, dmn)


def timeline_entry(event: AuditEvent, text: str, payload: dict[str, Any],
                   reader: DecisionReader) -> TimelineEntry:
    decision = reader.detail(payload) if event.kind == "decision_evaluated" else None
    key, label = EVENT_DATA.get(event.kind, ("", ""))
    data = [(label, payload[key])] if key and payload.get(key) else []
    return TimelineEntry(event.seq, event.at, event.actor, event.kind, kind_label(event.kind),
                         text, event.element_id, decision, data)


def case_audit(session: Session, case_id: int) -> CaseAudit:
    """NotFound for an unknown case."""
    case = get_case(session, case_id)
    comparison = compare_with_current(session, case_version(session, case))
    events = case_events(session, case.id)
    payloads = {event.seq: _display(event.payload) for event in events}
    reader = decision_reader(session, comparison.version)
    lines = describe(events, case.process_id)
    timeline = [timeline_entry(event, line.text, payloads[event.seq], reader)
                for event, line in zip(events, lines, strict=True)]
    tasks = session.scalars(select(HumanTask).where(HumanTask.case_id == case.id))
    incidents = list(session.scalars(select(Incident).where(Incident.case_id == case.id)
                                     .order_by(Incident.id)))
    return CaseAudit(case, comparison, timeline, human_steps(events, payloads, tasks),
                     incidents)
