"""Drafts: what a user typed into a task form and kept without completing the task.

A draft holds the raw text of each field exactly as typed (nothing is validated until the
task is completed), one per task and user; completing the task removes its drafts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete
from sqlalchemy.orm import Session

from engine.clock import current_time
from models import HumanTask, TaskDraft
from models.direct import DirectStatement

from .errors import Conflict, InvalidInput

MAX_DRAFT_CHARS = 50_000


def save_draft(session: Session, task: HumanTask, username: str,
               raw: Mapping[str, Any]) -> TaskDraft:
    if task.status != "open":
        raise Conflict(f"the task '{task.title}' is already {task.status}; nothing was saved")
    if task.assignee and task.assignee != username:
        raise Conflict(f"the task '{task.title}' is claimed by {task.assignee}")
    data = {str(name): value for name, value in raw.items()}
    if len(str(data)) > MAX_DRAFT_CHARS:
        raise InvalidInput("the draft is too large to keep")
    draft = session.get(TaskDraft, (task.id, username))
    if draft is None:
        draft = TaskDraft(task_id=task.id, username=username, data=data)
        session.add(draft)
    draft.data, draft.saved_at = data, current_time()
    return draft


def get_draft(session: Session, task_id: str, username: str) -> TaskDraft | None:
    return session.get(TaskDraft, (task_id, username))


_DRAFTS = cast(Table, TaskDraft.__table__)
_DISCARD = DirectStatement(delete(_DRAFTS).where(_DRAFTS.c.task_id == bindparam("task_id")))


def discard_drafts(session: Session, task_id: str) -> None:
    """Remove the task's drafts (a plain table DELETE: no ORM objects of drafts are in play)."""
    _DISCARD.execute(session.connection(), {"task_id": task_id})
