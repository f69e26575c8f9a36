"""Each human step of a case as an auditor asks about it: who claimed it, who completed
it, when, and what they submitted (read from the case's history, in order)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from models import AuditEvent, HumanTask

ASSIGNMENT_WORDS = {"task_claimed": "claimed", "task_released": "released",
                    "task_reassigned": "reassigned"}


@dataclass(frozen=True)
class Assignment:
    seq: int
    at: datetime
    actor: str
    action: str  # claimed, released, reassigned
    previous: str | None
    assignee: str | None


@dataclass
class HumanStep:
    task_id: str
    title: str
    element_id: str | None
    role: str = ""
    ready_seq: int | None = None
    ready_at: datetime | None = None
    assignments: list[Assignment] = field(default_factory=list)
    completed_by: str | None = None
    completed_at: datetime | None = None
    completed_seq: int | None = None
    form_data: dict[str, Any] | None = None
    status: str = "open"

    @property
    def claimed_by(self) -> str | None:
        """Who held the task when it was completed (or holds it now)."""
        holder = None
        for assignment in self.assignments:
            holder = assignment.assignee
        return holder


def human_steps(events: Iterable[AuditEvent], payloads: dict[int, dict[str, Any]],
                tasks: Iterable[HumanTask]) -> list[HumanStep]:
    """Steps in the order they became ready; `payloads`: seq -> payload ready for display."""
    steps: dict[str, HumanStep] = {}
    for event in events:
        payload = payloads[event.seq]
        task_id = payload.get("task_id")
        if not task_id or not event.kind.startswith("task_"):
            continue
        step = steps.setdefault(str(task_id), HumanStep(
            str(task_id), str(payload.get("title") or ""), event.element_id))
        _apply(step, event, payload)
    for task in tasks:
        if task.id in steps:
            steps[task.id].status = task.status
            steps[task.id].role = steps[task.id].role or task.role
    return list(steps.values())


def _apply(step: HumanStep, event: AuditEvent, payload: dict[str, Any]) -> None:
    if event.kind == "task_ready":
        step.role, step.ready_seq, step.ready_at = str(payload.get("role") or ""), \
            event.seq, event.at
    elif event.kind in ASSIGNMENT_WORDS:
        step.assignments.append(Assignment(event.seq, event.at, event.actor,
                                           ASSIGNMENT_WORDS[event.kind], payload.get("from"),
                                           payload.get("to")))
    elif event.kind == "task_completed":
        step.completed_by, step.completed_at = event.actor, event.at
        step.completed_seq, step.status = event.seq, "completed"
        step.form_data = dict(payload.get("data") or {})
