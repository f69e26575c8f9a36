"""Pages that start a case from a process's start form: new application, new claim.

Each rendered form carries a random idempotency key in a hidden field, so a double click or a
browser resending the POST after a dropped connection starts one case, not two.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from services import assignment, case_starts, cases
from services.errors import InvalidInput, KeyReused, PermissionDenied
from services.roles import ALL_ROLES, Actor

from .form_fields import build_fields, other_errors, parse_form_post
from .inbox import acting
from .uow import unit_of_work

start_pages = Blueprint("start_pages", __name__)
# Friendly addresses for the two forms clerks use every day.
ALIASES = {"application": "new_business", "claim": "claims"}
START_KEY_FIELD = "start_key"


def _allowed(form: cases.StartForm, actor: Actor) -> None:
    if form.role is not None and not actor.can_work(form.role):
        raise PermissionDenied(f"starting a {form.name} case is for the "
                               f"{ALL_ROLES.get(form.role, form.role).lower()} role")


def _render(form: cases.StartForm, values: Mapping[str, Any], errors: dict[str, list[str]] | None,
            status: int, start_key: str | None = None) -> tuple[str, int]:
    """The form; `start_key` is kept when the same attempt is shown again, else a new one."""
    return render_template("start.html", form=form,
                           groups=build_fields(form.schema, values, errors or {}),
                           other_errors=other_errors(form.schema, errors or {}),
                           start_key=start_key or secrets.token_urlsafe(24)), status


@start_pages.get("/new/<kind>")
def new_case(kind: str) -> tuple[str, int]:
    with unit_of_work() as uow:
        form = cases.start_form(uow.session, ALIASES.get(kind, kind))
        _allowed(form, acting())
        return _render(form, {}, None, 200)


@start_pages.post("/new/<kind>")
def start(kind: str) -> Response | tuple[str, int]:
    actor = acting()
    key = request.form.get(START_KEY_FIELD) or None
    with unit_of_work() as uow:
        form = cases.start_form(uow.session, ALIASES.get(kind, kind))
        _allowed(form, actor)
        try:
            started = case_starts.start_case_once(
                uow.session, form.process_id, parse_form_post(form.schema, request.form),
                actor.username, actor.roles, key)
        except InvalidInput as error:
            uow.session.rollback()
            kept = None if "Idempotency-Key" in error.field_errors else key
            return _render(form, request.form, error.field_errors, 400, kept)
        except KeyReused as error:  # the form was sent before with other values
            uow.session.rollback()
            return _render(form, request.form, {"_form": [str(error)]}, 422)
        uow.commit()
        case_id = started.case.id
        business_key = started.case.business_key or f"case {case_id}"
        following = assignment.next_task_for(uow.session, case_id, actor)
        following_id = following.id if following else None
    flash(f"This {form.name} was already started as {business_key}; no second case was made."
          if started.replayed else f"Started {form.name} {business_key}.")
    if following_id:
        return redirect(url_for("task_pages.show_task", task_id=following_id))
    return redirect(url_for("pages.case_page", case_id=case_id))
