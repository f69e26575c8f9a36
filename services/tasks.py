"""The human-task use cases: list open work and complete a task with validated data."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, TypeVar, cast

from sqlalchemy import Table, bindparam, inspect, select, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from engine import EngineInvariantError, TaskNotReady, form_path
from engine.clock import current_time, one_instant
from models import Case, HumanTask
from models.direct import DirectStatement

from . import audit, case_store
from .cases import get_case
from .drafts import discard_drafts
from .errors import Conflict, NotFound, PermissionDenied
from .forms import load_schema, validate_form
from .roles import ALL_ROLES


def list_open_tasks(session: Session, role: str | None = None,
                    assignee: str | None = None, limit: int = 200) -> list[HumanTask]:
    query = (select(HumanTask).where(HumanTask.status == "open")
             .order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at)
             .limit(limit))
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
_LOCK_ROWS = (select(*(column.label(f"t_{column.key}") for column in _TASKS.c),
                     *(column.label(f"c_{column.key}") for column in _CASES.c))
              .join_from(_TASKS, _CASES, _CASES.c.id == _TASKS.c.case_id)
              .where(_TASKS.c.id == bindparam("task_id")).with_for_update())


def lock_task(session: Session, task_id: str) -> tuple[HumanTask, Case]:
    """The task and its case, both row-locked and read fresh, in one query.

    Every writer of a case takes the case row first, so completions, claims and handlers
    of the same case queue instead of interleaving. The row is read by statement and the
    two objects attached to the session as loaded (an ORM query of two entities cost several
    times the statement); objects the session already holds take the fresh values.
    """
    row = session.connection().execute(_LOCK_ROWS, {"task_id": task_id}).first()
    if row is None:
        raise NotFound(f"there is no task {task_id}")
    values = row._mapping
    task = _attached(session, HumanTask, {
        column.key: values[f"t_{column.key}"] for column in _TASKS.c})
    case = _attached(session, Case, {
        column.key: values[f"c_{column.key}"] for column in _CASES.c})
    return task, case


_Loaded = TypeVar("_Loaded", HumanTask, Case)


def _attached(session: Session, model: type[_Loaded], values: dict[str, Any]) -> _Loaded:
    """The session's object for this row with `values` as its committed state: the one it
    holds (refreshed, as a query with populate_existing would) or a new one, as if loaded."""
    held = session.identity_map.get(session.identity_key(model, values["id"]))
    if held is not None:
        for name, value in values.items():
            set_committed_value(held, name, value)
        # as a query with populate_existing leaves it: changes not yet flushed are gone
        state = inspect(held)
        state._commit_all(state.dict, session.identity_map)
        return cast(_Loaded, held)
    loaded = model(**values)
    make_transient_to_detached(loaded)
    session.add(loaded)
    return loaded


def form_schema(session: Session, task: HumanTask) -> dict[str, Any]:
    """The form as deployed with the case's own process version."""
    case = get_case(session, task.case_id)
    definition = case_store.definition_of(session, case)
    return load_schema(definition.files[form_path(task.form_key)])


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
    if roles is not None and task.role not in roles:
        raise PermissionDenied(f"the task '{task.title}' is for the "
                               f"{ALL_ROLES.get(task.role, task.role).lower()} role")
    if task.status != "open":
        raise Conflict(f"the task '{task.title}' is already {task.status}")
    if task.assignee and task.assignee != actor:
        raise Conflict(f"the task '{task.title}' is claimed by {task.assignee}")
    typed = validate_form(form_schema(session, task), data)
    loaded = case_store.load(session, case)
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


