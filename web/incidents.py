"""The incidents page: open incidents for admins, supervisors and auditors to see; an admin
retries or skips one (skipping needs a reason)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from services import incidents
from services.incidents import Resolution

from .access import roles_required
from .current_user import current_user
from .uow import unit_of_work

incident_pages = Blueprint("incidents", __name__)


def _actor() -> str:
    user = current_user()
    assert user is not None  # roles_required ran first
    return user.username


@incident_pages.get("/incidents")
@roles_required("admin", "supervisor", "auditor")
def list_incidents() -> str:
    with unit_of_work() as uow:
        return render_template("incidents.html",
                               rows=incidents.list_open_incidents(uow.session))


@incident_pages.post("/incidents/<int:incident_id>/retry")
@roles_required(*incidents.RESOLVING_ROLES)
def retry(incident_id: int) -> Response:
    with unit_of_work() as uow:
        resolution = incidents.retry_incident(uow.session, incident_id, _actor())
        uow.commit()
        _tell(resolution, "retried")
    return redirect(url_for("incidents.list_incidents"))


@incident_pages.post("/incidents/<int:incident_id>/skip")
@roles_required(*incidents.RESOLVING_ROLES)
def skip(incident_id: int) -> Response:
    with unit_of_work() as uow:
        resolution = incidents.skip_incident(uow.session, incident_id,
                                             request.form.get("reason", ""), _actor())
        uow.commit()
        _tell(resolution, "skipped")
    return redirect(url_for("incidents.list_incidents"))


def _tell(resolution: Resolution, done: str) -> None:
    case = resolution.case
    where = f"{case.business_key or 'case ' + str(case.id)}"
    again = resolution.new_incident
    if again is not None:
        flash(f"Incident {resolution.incident.id} {done}, but {where} stopped again: "
              f"{again.message}")
    else:
        flash(f"Incident {resolution.incident.id} {done}; {where} is {case.status}.")
