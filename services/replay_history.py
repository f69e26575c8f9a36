"""What a replay reads: cases with their history and stored state, a batch at a time, and
the history cut into steps (one input event and what the engine recorded because of it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AuditEvent, Case, CaseKey, CaseTaskState, HumanTask

# Events that move a case (or its tasks' assignees): each starts a step.
ENGINE_INPUTS = frozenset({"case_started", "task_completed", "message_received", "timer_fired",
                           "background_task_run", "retry_attempted", "incident_retried",
                           "incident_skipped"})
ASSIGNMENTS = frozenset({"task_claimed", "task_released", "task_reassigned"})
INPUTS = ENGINE_INPUTS | ASSIGNMENTS | {"incident_retry_queued"}
# Events the engine and the services record as a consequence of an input: replay produces
# them again and compares.
DERIVED = frozenset({"service_called", "decision_evaluated", "gateway_passed", "end_reached",
                     "incident_raised", "retry_scheduled", "task_ready", "case_completed",
                     "timer_fired"})


@dataclass(frozen=True)
class Recorded:
    seq: int
    at: datetime
    actor: str
    kind: str
    element_id: str | None
    payload: dict[str, Any]

    def label(self) -> str:
        """'event 12 (service_called check_payment)': how a sentence names the event."""
        name = self.payload.get("operator") if self.kind == "service_called" else None
        where = name or self.element_id
        return f"event {self.seq} ({self.kind}{' ' + str(where) if where else ''})"


@dataclass
class Step:
    """One input event and the events recorded with it."""

    events: list[Recorded] = field(default_factory=list)

    @property
    def input(self) -> Recorded:
        return self.events[0]

    def derived(self) -> list[Recorded]:
        """The events replay produces again: a timer run's own `timer_fired` events too."""
        first = 0 if self.input.kind == "timer_fired" else 1
        return [e for e in self.events[first:] if e.kind in DERIVED]


@dataclass
class StoredCase:
    case: Case
    events: list[Recorded] = field(default_factory=list)
    rows: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    open_tasks: list[tuple[str, str | None]] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)


def load_cases(session: Session, case_ids: Sequence[int]) -> list[StoredCase]:
    """The cases with their history, task rows, open human tasks and keys: five queries."""
    found = {case.id: StoredCase(case) for case in session.scalars(
        select(Case).where(Case.id.in_(case_ids)).order_by(Case.id))}
    ids = list(found)
    if not ids:
        return []
    event = AuditEvent.__table__.c
    for row in session.execute(
            select(event.case_id, event.seq, event.at, event.actor, event.kind,
                   event.element_id, event.payload)
            .where(event.case_id.in_(ids)).order_by(event.case_id, event.seq)):
        found[row.case_id].events.append(Recorded(row.seq, _utc(row.at), row.actor, row.kind,
                                                  row.element_id, row.payload or {}))
    state = CaseTaskState.__table__.c
    for row in session.execute(
            select(state.case_id, state.workflow_key, state.content)
            .where(state.case_id.in_(ids))
            .order_by(state.case_id)):  # the engine puts each case's rows in tree order
        found[row.case_id].rows.append((row.workflow_key, row.content))
    for task in session.execute(
            select(HumanTask.case_id, HumanTask.element_id, HumanTask.assignee)
            .where(HumanTask.case_id.in_(ids), HumanTask.status == "open")):
        found[task.case_id].open_tasks.append((task.element_id, task.assignee))
    for key in session.execute(select(CaseKey.case_id, CaseKey.key)
                               .where(CaseKey.case_id.in_(ids))):
        found[key.case_id].keys.add(key.key)
    return list(found.values())


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def group_steps(events: Sequence[Recorded]) -> list[Step]:
    """Cut the history into steps. The timers fired by one worker run share a `fired_at`, so
    only the first `timer_fired` of such a run starts a step."""
    steps: list[Step] = []
    previous: Recorded | None = None
    for event in events:
        if event.kind in INPUTS and not _same_timer_run(previous, event) or not steps:
            steps.append(Step())
        steps[-1].events.append(event)
        previous = event
    return steps


def _same_timer_run(previous: Recorded | None, event: Recorded) -> bool:
    return event.kind == "timer_fired" and previous is not None and \
        previous.kind == "timer_fired" and \
        previous.payload.get("fired_at") == event.payload.get("fired_at")
