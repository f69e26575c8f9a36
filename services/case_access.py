"""Need-to-know reads: which cases, and so which tasks, a person may see. The one place.

A person sees a case when they hold the role of a lane of the process version it runs on,
started it, or hold one of its tasks (assigned to them, or completed by them); supervisors,
auditors and admins see every case. Every page, download and API call that shows a case or
a task asks here; a case out of reach is reported exactly as an unknown one (the same
NotFound sentence), so ids cannot be probed. Lists filter in SQL with `case_filter`.

`viewer` None is the server's operator (the CLI, the worker, tests), who sees everything.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.orm import Session, aliased

from engine import lane_roles
from models import Case, HumanTask, ProcessVersion

from .errors import NotFound
from .processes import definition_for
from .roles import Actor

# content hash of a deployed version -> the roles of its lanes; versions never change.
_LANES_BY_CONTENT: dict[str, frozenset[str]] = {}


def _lanes_of(session: Session, version_id: int, content_hash: str) -> frozenset[str]:
    lanes = _LANES_BY_CONTENT.get(content_hash)
    if lanes is None:
        version = session.get(ProcessVersion, version_id)
        lanes = lane_roles(definition_for(session, version)) if version else frozenset()
        _LANES_BY_CONTENT[content_hash] = lanes
    return lanes


def _lane_version_ids(session: Session, roles: frozenset[str]) -> list[int]:
    """Versions with a lane of one of `roles` (a small table: one row per deploy)."""
    versions = session.execute(select(ProcessVersion.id, ProcessVersion.content_hash))
    return [version_id for version_id, content_hash in versions
            if _lanes_of(session, version_id, content_hash) & roles]


def _holds_a_task(viewer: Actor, case_id: ColumnElement[int] | int
                  ) -> ColumnElement[bool]:
    """A task of the case assigned to or completed by the viewer (an alias, so it correlates
    with the outer Case even when the outer query reads human_task too)."""
    held = aliased(HumanTask)
    return exists().where(held.case_id == case_id, or_(
        held.assignee == viewer.username, held.completed_by == viewer.username))


def case_filter(session: Session, viewer: Actor | None) -> ColumnElement[bool] | None:
    """A WHERE clause on Case for the cases `viewer` may see; None when they see all."""
    if viewer is None or viewer.oversees:
        return None
    return or_(Case.process_version_id.in_(_lane_version_ids(session, viewer.roles)),
               Case.started_by == viewer.username,
               _holds_a_task(viewer, Case.__table__.c.id))


def can_see_case(session: Session, viewer: Actor | None, case: Case) -> bool:
    if viewer is None or viewer.oversees or case.started_by == viewer.username:
        return True
    content_hash = session.scalar(select(ProcessVersion.content_hash).where(
        ProcessVersion.id == case.process_version_id))
    if content_hash and _lanes_of(session, case.process_version_id, content_hash) & viewer.roles:
        return True
    return bool(session.scalar(select(_holds_a_task(viewer, case.id))))


def visible_case(session: Session, viewer: Actor | None, case_id: int) -> Case:
    """The case, or NotFound alike for an unknown id and one out of the viewer's reach."""
    case = session.get(Case, case_id)
    if case is None or not can_see_case(session, viewer, case):
        raise NotFound(f"there is no case {case_id}")
    return case


def visible_task(session: Session, viewer: Actor | None, task_id: str) -> HumanTask:
    """The task, or NotFound alike for an unknown id and a task of a case out of reach."""
    task = session.get(HumanTask, task_id)
    case = session.get(Case, task.case_id) if task is not None else None
    if task is None or case is None or not can_see_case(session, viewer, case):
        raise NotFound(f"there is no task {task_id}")
    return task
