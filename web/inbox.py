"""The inbox page and the claim / release / reassign / saved-filter actions behind it."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from engine.clock import current_time
from services import assignment, inbox, saved_filters
from services.inbox import DUE_STATES, SORTS, TABS, InboxQuery
from services.roles import Actor

from .current_user import current_user
from .redirects import back_to
from .uow import unit_of_work

inbox_pages = Blueprint("inbox", __name__)


def acting() -> Actor:
    """The signed-in person as the services see them (every page requires sign-in)."""
    user = current_user()
    assert user is not None  # web.access.login_required runs before every view
    return user.actor


@inbox_pages.get("/inbox")
def show_inbox() -> str:
    actor = acting()
    query = InboxQuery.from_args(request.args)
    with unit_of_work(read_only=True) as uow:
        page = inbox.inbox(uow.session, actor, query, current_time())
        return render_template(
            "inbox.html", page=page, tabs={t: TABS[t] for t in inbox.visible_tabs(actor)},
            choices=inbox.filter_choices(uow.session), due_states=DUE_STATES, sorts=SORTS,
            saved=saved_filters.list_filters(uow.session, actor.username))


def _back_to(default: str) -> str:
    """The form's `next` through the one safe-redirect check; called before the commit."""
    return back_to(request.form.get("next"), default)


@inbox_pages.post("/tasks/<task_id>/claim")
def claim(task_id: str) -> Response:
    target = _back_to(url_for("task_pages.show_task", task_id=task_id))
    with unit_of_work() as uow:
        task = assignment.claim(uow.session, task_id, acting())
        uow.commit()
        flash(f"You claimed \u201c{task.title}\u201d ({task.business_key or 'no key yet'}).")
    return redirect(target)


@inbox_pages.post("/tasks/<task_id>/release")
def release(task_id: str) -> Response:
    target = _back_to(url_for("inbox.show_inbox"))
    with unit_of_work() as uow:
        task = assignment.release(uow.session, task_id, acting())
        uow.commit()
        flash(f"\u201c{task.title}\u201d is back in the {task.role.replace('_', ' ')} group.")
    return redirect(target)


@inbox_pages.post("/tasks/<task_id>/reassign")
def reassign(task_id: str) -> Response:
    target = _back_to(url_for("task_pages.show_task", task_id=task_id))
    with unit_of_work() as uow:
        task = assignment.reassign(uow.session, task_id, request.form.get("assignee", ""),
                                   acting())
        uow.commit()
        flash(f"\u201c{task.title}\u201d is now assigned to {task.assignee}.")
    return redirect(target)


@inbox_pages.post("/inbox/filters")
def save_filter() -> Response:
    actor = acting()
    query = InboxQuery.from_args(request.form)
    with unit_of_work() as uow:
        saved = saved_filters.save_filter(uow.session, actor.username,
                                          request.form.get("name", ""), query)
        uow.commit()
        flash(f"Saved the filter \u201c{saved.name}\u201d.")
    return redirect(url_for("inbox.show_inbox") + "?" + urlencode(query.to_args(page=1)))


@inbox_pages.post("/inbox/filters/<int:filter_id>/delete")
def delete_filter(filter_id: int) -> Response:
    with unit_of_work() as uow:
        saved_filters.delete_filter(uow.session, acting().username, filter_id)
        uow.commit()
    flash("Deleted the saved filter.")
    return redirect(url_for("inbox.show_inbox"))
