"""Small drivers for tests: each call is its own unit of work, like separate requests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from services import cases, processes, tasks
from services.cases import CaseView
from services.unit_of_work import UnitOfWork

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PROJECT = Path(__file__).resolve().parent.parent.parent

UowFactory = Callable[[], UnitOfWork]


def deploy(uow: UowFactory, root: Path = PROJECT) -> list[processes.DeployOutcome]:
    with uow() as work:
        outcomes = processes.deploy(work.session, "analyst", root)
        work.commit()
    return outcomes


def start(uow: UowFactory, process_id: str, data: dict[str, Any], actor: str = "clerk1") -> int:
    with uow() as work:
        case = cases.start_case(work.session, process_id, data, actor)
        work.commit()
        return case.id


def show(uow: UowFactory, case_id: int) -> CaseView:
    with uow() as work:
        return cases.show_case(work.session, case_id, viewer=None)


def open_task(uow: UowFactory, case_id: int, element_id: str | None = None) -> str:
    view = show(uow, case_id)
    found = [t for t in view.open_tasks if element_id is None or t.element_id == element_id]
    assert found, f"no open task {element_id} in case {case_id}: " \
                  f"{[t.element_id for t in view.open_tasks]} status={view.case.status} " \
                  f"incidents={[i.message for i in view.incidents]}"
    return found[0].id


def complete(uow: UowFactory, case_id: int, element_id: str, data: dict[str, Any],
             actor: str = "clerk1") -> CaseView:
    task_id = open_task(uow, case_id, element_id)
    with uow() as work:
        tasks.complete_task(work.session, task_id, data, actor)
        work.commit()
    return show(uow, case_id)


def kinds(view: CaseView) -> list[str]:
    return [event.kind for event in view.events]
