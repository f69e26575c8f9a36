"""Read-only pages: what is deployed, open work and recent cases (the inbox is issue 3)."""

from __future__ import annotations

from flask import Blueprint, render_template

from engine import values
from services import cases, diagrams, history, processes, tasks

from .inbox import acting
from .uow import unit_of_work

pages = Blueprint("pages", __name__)


@pages.get("/")
def index() -> str:
    viewer = acting()
    with unit_of_work(read_only=True) as uow:
        return render_template(
            "index.html", versions=processes.list_versions(uow.session),
            open_tasks=tasks.list_open_tasks(uow.session, limit=50, viewer=viewer),
            recent=cases.find_cases(uow.session, limit=25, viewer=viewer))


@pages.get("/cases/<int:case_id>")
def case_page(case_id: int) -> str:
    viewer = acting()
    with unit_of_work(read_only=True) as uow:
        view = cases.show_case(uow.session, case_id, viewer=viewer)
        return render_template(
            "case.html", case=view.case, version=view.version, open_tasks=view.open_tasks,
            incidents=view.incidents, history=history.describe(view.events, view.case.process_id),
            data=values.to_display(view.data),
            diagram=diagrams.case_diagram(uow.session, case_id, viewer=viewer))
