"""Drivers shared by the benchmarks: databases, the accept path, the in-memory ceiling."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, select, text

from engine import CaseRuntime, discover, form_path, parse_bundle
from engine.values import from_json_ready
from handlers import ensure_products
from models import AuditEvent
from models.db import make_engine, make_session_factory
from services import assignment, cases, processes, tasks
from services.forms import load_schema, validate_form
from services.roles import Actor
from services.unit_of_work import UnitOfWork

ROOT = Path(__file__).resolve().parent.parent
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/insurflow_bench"
CLERK = Actor("bench", frozenset({"clerk"}))
Uow = Callable[[], UnitOfWork]


def migrate(url: str) -> Engine:
    """An engine on `url` with the schema brought to the newest Alembic revision."""
    engine = make_engine(url)
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["configure_logger"] = False
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return engine


def fresh_database(url: str, root: Path = ROOT) -> Uow:
    if url.startswith("postgresql"):
        _recreate_postgres(url)
    engine = migrate(url)
    factory = make_session_factory(engine)

    def uow() -> UnitOfWork:
        return UnitOfWork(factory)

    with uow() as work:
        processes.deploy(work.session, "bench", root)
        ensure_products(work.session)
        work.commit()
    return uow


def _recreate_postgres(url: str) -> None:
    base, name = url.rsplit("/", 1)
    admin = create_engine(make_engine(f"{base}/test").url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'drop database if exists "{name}"'))
        conn.execute(text(f'create database "{name}"'))
    admin.dispose()


def application(number: int) -> dict[str, Any]:
    return {"full_name": f"Bench Person {number}", "date_of_birth": "1985-06-01",
            "id_number": f"BENCH{number:08d}", "phone": "+886 2 5550 0000",
            "email": f"bench{number}@example.com", "address": "1 Bench Road",
            "product_code": "TERM_LIFE", "sum_insured": "250000.00", "channel": "online",
            "occupation": "Engineer", "occupation_class": "office", "smoker": False,
            "hazardous_hobbies": False, "health_conditions": "none", "consent": True}


def _today() -> str:
    from engine.clock import current_time

    return current_time().date().isoformat()


def user_steps() -> list[tuple[str, dict[str, Any]]]:
    today = _today()
    return [
        ("record_first_premium", {"method": "online", "amount": "450.00", "paid_on": today}),
        ("deliver_policy", {"method": "mail", "sent_on": today}),
        ("record_delivery_confirmation", {"receipt_signed_on": today, "signed_by": "Bench",
                                          "receipt_reference": "R"}),
    ]


def new_business_start(uow: Uow, number: int) -> int:
    """Start an accept-path case; it runs to its first clerk task. Returns the case id."""
    with uow() as work:
        case = cases.start_case(work.session, "new_business", application(number), "bench")
        work.commit()
        return case.id


def new_business_case(uow: Uow, number: int) -> None:
    case_id = new_business_start(uow, number)
    for element_id, data in user_steps():
        with uow() as work:
            # As the task page does after a completion: the case's next task for this clerk.
            task = assignment.next_task_for(work.session, case_id, CLERK)
            assert task is not None and task.element_id == element_id, task
            tasks.complete_task(work.session, task.id, data, "bench")
            work.commit()


def recorded_service_results(uow: Uow) -> dict[str, Any]:
    """operator -> the result a real handler returned, for the in-memory ceiling."""
    with uow() as work:
        events = work.session.scalars(select(AuditEvent).where(
            AuditEvent.kind == "service_called", AuditEvent.case_id == 1))
        return {e.payload["operator"]: from_json_ready(e.payload["result"]) for e in events}


def memory_ceiling(results: dict[str, Any], cases_count: int) -> float:
    """Bare SpiffWorkflow (through our facade, no database) on the same accept path."""
    bundles, _ = discover(ROOT)
    definition = parse_bundle(next(b for b in bundles if b.process_id == "new_business"))

    def invoker(task: Any, operator: str, params: dict[str, Any]) -> dict[str, Any]:
        return dict(results[operator])

    # Form data typed once, outside the timing, as the service layer would type it.
    forms = {key: load_schema(definition.files[form_path(key)]) for key in
             ("nb_application", "nb_first_premium", "nb_delivery", "nb_delivery_confirmation")}
    steps = [(element_id, validate_form(forms[key], data)) for (element_id, data), key in
             zip(user_steps(), ("nb_first_premium", "nb_delivery", "nb_delivery_confirmation"),
                 strict=True)]

    started = time.perf_counter()
    for number in range(cases_count):
        start_data = validate_form(forms["nb_application"], application(number))
        runtime = CaseRuntime.start(definition, start_data, invoker)
        runtime.run()
        for element_id, data in steps:
            task = next(t for t in runtime.ready_user_tasks() if t.element_id == element_id)
            runtime.complete_user_task(task.task_id, data)
        assert runtime.is_completed()
    return cases_count / (time.perf_counter() - started)


def task_loop_timings(url: str, history: int, samples: int = 30
                      ) -> tuple[list[float], list[float]]:
    """Seconds per task completion in fresh cases and in a case with `history` steps."""
    uow = fresh_database(url, ROOT / "bench" / "fixtures")
    long_case = _start_loop(uow, history + samples + 10)
    for _ in range(history):
        _complete_loop_task(uow, long_case)
    long = [_timed(lambda: _complete_loop_task(uow, long_case)) for _ in range(samples)]
    fresh = []
    for _ in range(samples):
        case_id = _start_loop(uow, 5)
        fresh.append(_timed(lambda c=case_id: _complete_loop_task(uow, c)))
    return fresh, long


def _timed(action: Callable[[], None]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _start_loop(uow: Uow, limit: int) -> int:
    with uow() as work:
        case = cases.start_case(work.session, "task_loop", {"steps": 0, "limit": limit}, "bench")
        work.commit()
        return case.id


def _complete_loop_task(uow: Uow, case_id: int) -> None:
    with uow() as work:
        task = next(t for t in tasks.list_open_tasks(work.session, viewer=None)
                    if t.case_id == case_id)
        tasks.complete_task(work.session, task.id, {"note": "x"}, "bench")
        work.commit()


