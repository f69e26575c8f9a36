"""Pages that start a case from a process's start form: new application, new claim."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from services import assignment, cases
from services.errors import InvalidInput, PermissionDenied
from services.roles import ALL_ROLES, Actor

from .form_fields import build_fields, other_errors, parse_form_post
from .inbox import acting
from .uow import unit_of_work

start_pages = Blueprint("start_pages", __name__)
# Friendly addresses for the two forms clerks use every day.
ALIASES = {"application": "new_business", "claim": "claims"}


def _allowed(form: cases.StartForm, actor: Actor) -> None:
    if form.role is not None and not actor.can_work(form.role):
        raise PermissionDenied(f"starting a {form.name} case is for the "
                               f"{ALL_ROLES.get(form.role, form.role).lower()} role")


def _render(form: cases.StartForm, values: Mapping[str, Any], errors: dict[str, list[str]] | None,
            status: int) -> tuple[str, int]:
    return render_template("start.html", form=form,
                           groups=build_fields(form.schema, values, errors or {}),
                           other_errors=other_errors(form.schema, errors or {})), status


@start_pages.get("/new/<kind>")
def new_case(kind: str) -> tuple[str, int]:
    with unit_of_work() as uow:
        form = cases.start_form(uow.session, ALIASES.get(kind, kind))
        _allowed(form, acting())
        return _render(form, {}, None, 200)


@start_pages.post("/new/<kind>")
def start(kind: str) -> Response | tuple[str, int]:
    actor = acting()
    with unit_of_work() as uow:
        form = cases.start_form(uow.session, ALIASES.get(kind, kind))
        _allowed(form, actor)
        try:
            case = cases.start_case(uow.session, form.process_id,
                                    parse_form_post(form.schema, request.form),
                                    actor.username, actor.roles)
        except InvalidInput as error:
            uow.session.rollback()
            return _render(form, request.form, error.field_errors, 400)
        uow.commit()
        case_id, key = case.id, case.business_key or f"case {case.id}"
        following = assignment.next_task_for(uow.session, case_id, actor)
        following_id = following.id if following else None
    flash(f"Started {form.name} {key}.")
    if following_id:
        return redirect(url_for("task_pages.show_task", task_id=following_id))
    return redirect(url_for("pages.case_page", case_id=case_id))
