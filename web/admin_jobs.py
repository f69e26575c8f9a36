"""/admin/jobs: the background job queue and its workers, for supervisors and admins."""

from __future__ import annotations

from flask import Blueprint, render_template

from services.job_status import jobs_status

from .access import roles_required
from .uow import unit_of_work

admin_jobs = Blueprint("admin_jobs", __name__)


@admin_jobs.get("/admin/jobs")
@roles_required("admin", "supervisor")
def jobs_page() -> str:
    with unit_of_work(read_only=True) as uow:
        return render_template("admin_jobs.html", status=jobs_status(uow.session))
