"""The human-task use cases: list open work and complete a task with validated data."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from engine import EngineInvariantError, TaskNotReady, form_path
from engine.clock import current_time, one_instant
from models import Case, HumanTask
from models.direct import DirectStatement

from . import audit, case_store
from .case_access import can_see_case, case_filter
from .cases import get_case
from .drafts import discard_drafts
from .errors import Conflict, NotFound, PermissionDenied
from .forms import load_schema, validate_form_text
from .roles import ALL_ROLES, Actor
from .unit_of_work import as_loaded


def list_open_tasks(session: Session, role: str | None = None,
                    assignee: str | None = None, limit: int = 200, *,
                    viewer: Actor | None) -> list[HumanTask]:
    """Open tasks, due first, of the cases the viewer may see (case_access).

    Ordered as the open-tasks index is (NULLS LAST, as the inbox does), so the first rows
    are read off the index and checked against the read rule instead of sorting every
    open task.
    """
    query = (select(HumanTask).where(HumanTask.status == "open")
             .order_by(HumanTask.due_at.asc().nulls_last(), HumanTask.created_at, HumanTask.id)
             .limit(limit))
    reach = case_filter(session, viewer)
    if reach is not None:
        query = query.join(Case, Case.id == HumanTask.case_id).where(reach)
    if role:
        query = query.where(HumanTask.role == role)
    if assignee:
        query = query.where(HumanTask.assignee == assignee)
    return list(session.scalars(query))


def get_task(session: Session, task_id: str) -> HumanTask:
    task = session.get(HumanTask, task_id)
    if task is None:
        raise NotFound(f"there is no task {task_id}")
    return task


_TASKS = cast(Table, HumanTask.__table__)
_CASES = cast(Table, Case.__table__)
# The case row is locked through the task (a task never moves to another case); the task
# is read in a statement of its own after that lock, so it shows what the writer we may
# have waited for committed.
_LOCK_CASE_OF_TASK = DirectStatement(select(*_CASES.c).where(
    _CASES.c.id == select(_TASKS.c.case_id).where(_TASKS.c.id == bindparam("task_id"))
    .scalar_subquery()).with_for_update())
_READ_TASK = DirectStatement(select(*_TASKS.c).where(_TASKS.c.id == bindparam("task_id")))
_TASK_KEYS = [column.key for column in _TASKS.c]
_CASE_KEYS = [column.key for column in _CASES.c]


def lock_task(session: Session, task_id: str) -> tuple[HumanTask, Case]:
    """The task and its case, the case row locked, both read fresh.

    The one lock order of every writer of a case: its case row first, then what belongs to
    the case (tasks, jobs, incidents, history). A writer that took a task row before the
    case (as one join locking both did) deadlocked on PostgreSQL with a message delivery
    holding the case and cancelling that task. The rows are put into the session as the
    two loaded objects, as an ORM query with populate_existing would (objects the session
    holds take the fresh values).
    """
    connection = session.connection()
    case_row = _LOCK_CASE_OF_TASK.first(connection, {"task_id": task_id})
    task_row = _READ_TASK.first(connection, {"task_id": task_id}) if case_row else None
    if case_row is None or task_row is None:
        raise NotFound(f"there is no task {task_id}")
    task = as_loaded(session, HumanTask, dict(zip(_TASK_KEYS, task_row, strict=True)))
    case = as_loaded(session, Case, dict(zip(_CASE_KEYS, case_row, strict=True)))
    return task, case


def form_schema(session: Session, task: HumanTask) -> dict[str, Any]:
    """The form as deployed with the case's own process version."""
    return load_schema(form_text(session, task))


def form_text(session: Session, task: HumanTask) -> str:
    """The form file's text as deployed with the case's own process version."""
    case = get_case(session, task.case_id)
    return case_store.definition_of(session, case).files[form_path(task.form_key)]


_COMPLETE = DirectStatement(update(_TASKS).where(_TASKS.c.id == bindparam("task_id"))
                            .values(status="completed", completed_at=bindparam("at"),
                                    completed_by=bindparam("by"), assignee=bindparam("owner")))


def _mark_completed(session: Session, task: HumanTask, actor: str) -> None:
    """By statement, so the step's save reads the task as done without flushing the session;
    the loaded object takes the same values as committed ones."""
    values = {"status": "completed", "completed_at": current_time(), "completed_by": actor,
              "assignee": task.assignee or actor}
    _COMPLETE.execute(session.connection(), {
        "task_id": task.id, "at": values["completed_at"], "by": actor,
        "owner": values["assignee"]})
    for name, value in values.items():
        set_committed_value(task, name, value)


@one_instant
def complete_task(session: Session, task_id: str, data: Any, actor: str,
                  roles: Collection[str] | None = None) -> HumanTask:
    """Validate against the task's form, then move the case on; a lost race is a Conflict.

    `roles`: the acting person's roles, checked against the task's lane (the CLI, run by an
    operator on the server, passes None).
    """
    task, case = lock_task(session, task_id)
    if roles is not None and not can_see_case(session, Actor(actor, frozenset(roles)), case):
        raise NotFound(f"there is no task {task_id}")
    if roles is not None and task.role not in roles:
        raise PermissionDenied(f"the task '{task.title}' is for the "
                               f"{ALL_ROLES.get(task.role, task.role).lower()} role")
    if task.status != "open":
        raise Conflict(f"the task '{task.title}' is already {task.status}")
    if task.assignee and task.assignee != actor:
        raise Conflict(f"the task '{task.title}' is claimed by {task.assignee}")
    text = form_text(session, task)  # first: the kept runtime still answers its version
    loaded = case_store.load(session, case)
    # The form's rules may compare with the case data (x-rules, services.form_rules).
    typed = validate_form_text(text, data, loaded.runtime.task_data(task_id))
    _mark_completed(session, task, actor)
    loaded.task_done(task.id)
    discard_drafts(session, task.id)
    audit.record(session, case, "task_completed", actor, task.element_id,
                 {"task_id": task.id, "title": task.title, "data": typed})
    try:
        result = loaded.runtime.complete_user_task(task_id, typed)
    except TaskNotReady as error:
        raise Conflict(f"the task '{task.title}' can no longer be completed") from error
    except EngineInvariantError as error:
        raise RuntimeError(f"case {case.id}: {error}") from error
    case_store.save(session, loaded, result)
    return task


