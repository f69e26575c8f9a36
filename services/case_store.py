"""Loading a case's runtime from its rows and writing back only what a step changed."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import CaseRuntime, ProcessDefinition, RunResult
from engine.clock import current_time
from engine.state import TaskRow
from models import Case, CaseTaskState, HumanTask, Incident, ProcessVersion

from . import audit
from .invoker import make_invoker
from .processes import definition_for


@dataclass
class LoadedCase:
    case: Case
    runtime: CaseRuntime
    rows: dict[str, CaseTaskState] = field(default_factory=dict)


def definition_of(session: Session, case: Case) -> ProcessDefinition:
    version = session.get(ProcessVersion, case.process_version_id)
    assert version is not None  # FK guarantees it
    return definition_for(session, version)


def load(session: Session, case: Case) -> LoadedCase:
    rows = list(session.scalars(select(CaseTaskState).where(CaseTaskState.case_id == case.id)
                                .order_by(CaseTaskState.workflow_key, CaseTaskState.position)))
    runtime = CaseRuntime.restore(definition_of(session, case), case.workflow_state,
                                  [(r.workflow_key, r.content) for r in rows],
                                  make_invoker(session, case))
    return LoadedCase(case, runtime, {r.task_id: r for r in rows})


def save(session: Session, loaded: LoadedCase, result: RunResult) -> None:
    """Persist the step: task rows that changed, human tasks, history, incident, status."""
    case, runtime = loaded.case, loaded.runtime
    saved = runtime.save()
    _write_rows(session, loaded, saved.tasks)
    case.workflow_state = saved.workflow_state
    for event in result.events:
        audit.record(session, case, event.kind, audit.SYSTEM, event.element_id, event.payload)
    if result.incident is not None:
        session.add(Incident(case_id=case.id, task_id=result.incident.task_id,
                             element_id=result.incident.element_id,
                             error_type=result.incident.error_type,
                             message=result.incident.message, status="open",
                             created_at=current_time()))
    _sync_human_tasks(session, case, runtime)
    _update_status(session, case, runtime, result)


def _write_rows(session: Session, loaded: LoadedCase, rows: list[TaskRow]) -> None:
    current = {row.task_id for row in rows}
    for row in rows:
        existing = loaded.rows.get(row.task_id)
        if existing is None:
            stored = CaseTaskState(case_id=loaded.case.id, task_id=row.task_id,
                                   workflow_key=row.workflow_key, position=row.position,
                                   digest=row.digest, content=row.content)
            session.add(stored)
            loaded.rows[row.task_id] = stored
        elif existing.digest != row.digest or existing.position != row.position:
            existing.digest, existing.position = row.digest, row.position
            existing.content, existing.workflow_key = row.content, row.workflow_key
    for task_id in [t for t in loaded.rows if t not in current]:
        session.delete(loaded.rows.pop(task_id))


def _sync_human_tasks(session: Session, case: Case, runtime: CaseRuntime) -> None:
    now = current_time()
    ready = {info.task_id: info for info in runtime.ready_user_tasks()}
    open_rows = {t.id: t for t in session.scalars(
        select(HumanTask).where(HumanTask.case_id == case.id, HumanTask.status == "open"))}
    for task_id, row in open_rows.items():
        if task_id not in ready:
            row.status, row.completed_at = "cancelled", now
    for task_id, info in ready.items():
        if task_id in open_rows:
            continue
        session.add(HumanTask(id=task_id, case_id=case.id, element_id=info.element_id,
                              title=info.title, form_key=info.form_key, role=info.role,
                              instructions=info.instructions, status="open",
                              priority=info.priority, created_at=now,
                              due_at=now + info.due_in if info.due_in else None))
        audit.record(session, case, "task_ready", audit.SYSTEM, info.element_id,
                     {"task_id": task_id, "title": info.title, "role": info.role,
                      "form_key": info.form_key})


def _update_status(session: Session, case: Case, runtime: CaseRuntime,
                   result: RunResult) -> None:
    now = current_time()
    case.updated_at = now
    if result.incident is not None:
        case.status = "incident"
    elif runtime.is_completed():
        if case.status != "completed":
            case.completed_at = now
            audit.record(session, case, "case_completed", audit.SYSTEM, None,
                         {"business_key": case.business_key})
        case.status = "completed"
    else:
        case.status = "active"
