"""A unit of work is one database transaction on both databases: what it wrote is kept only
if it commits."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models import AuditEvent, Case, CaseTaskState, HumanTask
from models.db import InsurflowSQLiteDialect, make_engine
from services import cases, tasks
from tests.support import flows

STEP_TABLES = (Case, CaseTaskState, HumanTask, AuditEvent)


def _row_counts(uow) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with uow() as work:
        return {model.__tablename__: work.session.scalar(select(func.count()).select_from(model))
                for model in STEP_TABLES}


def test_a_case_started_without_commit_leaves_no_rows(uow) -> None:  # type: ignore[no-untyped-def]
    flows.deploy(uow, flows.FIXTURES)
    before = _row_counts(uow)
    assert before == {"cases": 0, "case_task_state": 0, "human_task": 0, "audit_event": 0}
    with uow() as work:
        case = cases.start_case(work.session, "service_flow", {"amount": "10", "on": "2026-03-01"},
                                "clerk1")
        assert case.id is not None  # written: the case row, its tasks, its history
    assert _row_counts(uow) == before


def test_the_same_case_committed_is_kept(uow) -> None:  # type: ignore[no-untyped-def]
    flows.deploy(uow, flows.FIXTURES)
    flows.start(uow, "service_flow", {"amount": "10", "on": "2026-03-01"})
    counts = _row_counts(uow)
    assert counts["cases"] == 1 and counts["case_task_state"] > 0
    assert counts["human_task"] == 1 and counts["audit_event"] > 0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_transactions_are_begun_by_the_dialect(database_url: str) -> None:
    """pysqlite's own transaction handling is off (it breaks SAVEPOINT): the dialect sends
    BEGIN, without an event listener on the engine."""
    engine = make_engine(database_url)
    try:
        assert isinstance(engine.dialect, InsurflowSQLiteDialect)
        with engine.connect() as connection:
            driver = connection.connection.driver_connection
            assert driver is not None and not driver.in_transaction
            with connection.begin():
                assert driver.in_transaction
            assert not driver.in_transaction
    finally:
        engine.dispose()


def test_locking_a_task_reads_it_fresh_into_the_objects_the_session_holds(uow) -> None:  # type: ignore[no-untyped-def]
    """lock_task reads the row by statement: a task and case the session already loaded are
    the objects it returns, with the stored values (as a query with populate_existing)."""
    flows.deploy(uow, flows.FIXTURES)
    case_id = flows.start(uow, "service_flow", {"amount": "10", "on": "2026-03-01"})
    with uow() as work:
        held = work.session.scalars(select(HumanTask).where(HumanTask.case_id == case_id)).one()
        held_case = work.session.get_one(Case, case_id)
        with work.session.no_autoflush:
            held.assignee, held_case.status = "someone", "incident"
            task, case = tasks.lock_task(work.session, held.id)
        assert (task, case) == (held, held_case)
        assert (task.assignee, case.status, task.status) == (None, "active", "open")
        assert not work.session.dirty
    with uow() as work:  # a session that holds nothing gets new, loaded objects
        task, case = tasks.lock_task(work.session, held.id)
        assert case.id == case_id and task.case_id == case_id and task.created_at.tzinfo
        assert task in work.session and not work.session.dirty and not work.session.new
