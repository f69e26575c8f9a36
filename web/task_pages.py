"""A task's page: its form, instructions and case context; save a draft or complete it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from models import HumanTask
from services import assignment, drafts, tasks
from services.case_access import visible_task
from services.case_context import case_context
from services.cases import get_case
from services.errors import InvalidInput, PermissionDenied
from services.roles import Actor

from .form_fields import build_fields, other_errors, parse_form_post
from .inbox import acting
from .uow import unit_of_work

task_pages = Blueprint("task_pages", __name__)
NOT_FIELDS = {"csrf_token", "action", "next"}


def _visible_task(session: Session, task_id: str, actor: Actor) -> HumanTask:
    """404 when the case is out of the actor's reach; 403 when they may see the case but
    the task is for another role (and not theirs)."""
    task = visible_task(session, actor, task_id)
    if not actor.can_see(task.role, task.assignee):
        raise PermissionDenied(f"the task \u201c{task.title}\u201d is for the "
                               f"{task.role.replace('_', ' ')} role")
    return task


def _render(session: Session, task: HumanTask, actor: Actor, values: Any,
            errors: dict[str, list[str]] | None = None, status: int = 200) -> tuple[str, int]:
    schema = tasks.form_schema(session, task)
    case = get_case(session, task.case_id)
    return render_template(
        "task.html", task=task, case=case, actor=actor,
        groups=build_fields(schema, values, errors or {}),
        other_errors=other_errors(schema, errors or {}),
        context=case_context(session, case), form_title=schema.get("title"),
        can_work=actor.can_work(task.role) and task.assignee in (None, actor.username),
        candidates=assignment.candidates(session, task.role) if actor.supervises else [],
    ), status


@task_pages.get("/tasks/<task_id>")
def show_task(task_id: str) -> tuple[str, int]:
    actor = acting()
    with unit_of_work(read_only=True) as uow:
        task = _visible_task(uow.session, task_id, actor)
        draft = drafts.get_draft(uow.session, task_id, actor.username)
        if draft is not None:
            flash(f"Showing your draft saved {draft.saved_at:%Y-%m-%d %H:%M} UTC.")
        return _render(uow.session, task, actor, draft.data if draft else {})


@task_pages.post("/tasks/<task_id>")
def submit_task(task_id: str) -> Response | tuple[str, int]:
    actor = acting()
    if request.form.get("action") == "draft":
        return _save_draft(task_id, actor)
    with unit_of_work() as uow:
        task = _visible_task(uow.session, task_id, actor)
        schema = tasks.form_schema(uow.session, task)
        try:
            tasks.complete_task(uow.session, task_id, parse_form_post(schema, request.form),
                                actor.username, actor.roles)
        except InvalidInput as error:
            uow.session.rollback()
            task = _visible_task(uow.session, task_id, actor)
            return _render(uow.session, task, actor, request.form, error.field_errors, 400)
        # Where to go next, read in the same transaction before it commits.
        following = assignment.next_task_for(uow.session, task.case_id, actor)
        following_id = following.id if following is not None else None
        key = get_case(uow.session, task.case_id).business_key or f"case {task.case_id}"
        uow.commit()
    flash(f"Completed \u201c{task.title}\u201d for {key}.")
    if following_id is not None:
        return redirect(url_for("task_pages.show_task", task_id=following_id))
    return redirect(url_for("inbox.show_inbox"))


def _save_draft(task_id: str, actor: Actor) -> Response:
    raw = {name: request.form.getlist(name) if len(request.form.getlist(name)) > 1
           else request.form[name] for name in request.form if name not in NOT_FIELDS}
    with unit_of_work() as uow:
        task = _visible_task(uow.session, task_id, actor)
        drafts.save_draft(uow.session, task, actor.username, raw)
        uow.commit()
    flash("Draft saved. Only you can see it; the case has not moved on.")
    return redirect(url_for("task_pages.show_task", task_id=task_id))
