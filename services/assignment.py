"""Claiming, releasing and reassigning human tasks, each recorded in the case's history.

Every action locks the case row first (as completing a task does), so a claim and a
completion of the same task cannot interleave.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from engine.clock import current_time
from models import Case, HumanTask, User
from models.direct import DirectStatement

from . import audit
from .case_access import can_see_case
from .errors import Conflict, InvalidInput, NotFound, PermissionDenied
from .roles import ALL_ROLES, Actor
from .tasks import lock_task


def _open_task_locked(session: Session, task_id: str, actor: Actor
                      ) -> tuple[HumanTask, Case]:
    """A task of a case out of the actor's reach is reported as unknown (case_access)."""
    task, case = lock_task(session, task_id)
    if not can_see_case(session, actor, case):
        raise NotFound(f"there is no task {task_id}")
    if task.status != "open":
        raise Conflict(f"the task '{task.title}' is already {task.status}")
    return task, case


def require_can_work(actor: Actor, task: HumanTask) -> None:
    if not actor.can_work(task.role):
        raise PermissionDenied(f"the task '{task.title}' is for the "
                               f"{ALL_ROLES.get(task.role, task.role).lower()} role")


def claim(session: Session, task_id: str, actor: Actor) -> HumanTask:
    """Take an unclaimed task of one of my roles; claiming my own task again changes nothing."""
    task, case = _open_task_locked(session, task_id, actor)
    require_can_work(actor, task)
    if task.assignee == actor.username:
        return task
    if task.assignee:
        raise Conflict(f"the task '{task.title}' is already claimed by {task.assignee}")
    _assign(session, task, case, actor.username, actor, "task_claimed")
    return task


def release(session: Session, task_id: str, actor: Actor) -> HumanTask:
    """Give a claimed task back to its group (the assignee, or a supervisor)."""
    task, case = _open_task_locked(session, task_id, actor)
    if task.assignee is None:
        raise Conflict(f"the task '{task.title}' is not claimed")
    if task.assignee != actor.username and not actor.supervises:
        raise PermissionDenied(f"the task '{task.title}' is claimed by {task.assignee}; "
                               "only they or a supervisor can release it")
    _assign(session, task, case, None, actor, "task_released")
    return task


def reassign(session: Session, task_id: str, to_username: str, actor: Actor) -> HumanTask:
    """A supervisor hands a task to a named person who holds the task's role."""
    if not actor.supervises:
        raise PermissionDenied("only a supervisor can reassign tasks")
    task, case = _open_task_locked(session, task_id, actor)
    person = session.scalar(select(User).where(User.username == to_username.strip()))
    if person is None or not person.active:
        raise InvalidInput("choose someone to reassign to",
                           {"assignee": [f"there is no active user '{to_username}'"]})
    if task.role not in person.roles:
        raise InvalidInput("that person cannot work this task", {"assignee": [
            f"{person.username} does not have the {ALL_ROLES.get(task.role, task.role)} role"]})
    if task.assignee == person.username:
        return task
    _assign(session, task, case, person.username, actor, "task_reassigned")
    return task


def _assign(session: Session, task: HumanTask, case: Case, assignee: str | None, actor: Actor,
            kind: str) -> None:
    previous = task.assignee
    task.assignee = assignee
    task.claimed_at = current_time() if assignee else None
    audit.record(session, case, kind, actor.username, task.element_id,
                 {"task_id": task.id, "title": task.title, "role": task.role,
                  "from": previous, "to": assignee})


def candidates(session: Session, role: str) -> list[str]:
    """Active people who hold `role`: whom a supervisor can hand a task of that role to."""
    people = session.scalars(select(User).where(User.active.is_(True)).order_by(User.username))
    return [person.username for person in people if role in person.roles]


@dataclass(frozen=True)
class NextTask:
    id: str
    element_id: str


# Read on every task completion and case start (where to go next): columns only, built once
# and run on the driver's cursor.
_OPEN_TASKS_OF_CASE = DirectStatement(
    select(HumanTask.id, HumanTask.element_id, HumanTask.role, HumanTask.assignee)
    .where(HumanTask.case_id == bindparam("case_id"), HumanTask.status == "open")
    .order_by(HumanTask.created_at))


def next_task_for(session: Session, case_id: int, actor: Actor) -> NextTask | None:
    """The case's next open task this person can pick up: theirs, or unclaimed in their roles."""
    for task in _OPEN_TASKS_OF_CASE.all(session.connection(), {"case_id": case_id}):
        if task.assignee == actor.username or (task.assignee is None
                                               and actor.can_work(task.role)):
            return NextTask(task.id, task.element_id)
    return None
