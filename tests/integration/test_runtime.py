"""The core loop on a real database: start, wait, resume, incidents, money, long cases."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from models import CaseTaskState, HumanTask, Incident, NumberSequence
from services.errors import InvalidInput, NotFound
from tests.support import flows


@pytest.fixture
def deployed(uow):  # type: ignore[no-untyped-def]
    flows.deploy(uow, flows.FIXTURES)
    return uow


def test_case_waits_at_user_task_with_typed_money_and_dates(deployed) -> None:
    case_id = flows.start(deployed, "service_flow", {"amount": "1500.5", "on": "2026-03-01"})
    view = flows.show(deployed, case_id)
    assert view.case.status == "active"
    assert view.data["amount"] == Decimal("1500.50")
    assert view.data["on"] == date(2026, 3, 1)
    # handler results keep Decimal and date through JSON, save and restore
    assert view.data["echoed"]["money"] == Decimal("10.10")
    assert view.data["echoed"]["echo"]["on"] == date(2026, 3, 1)
    assert view.data["band"] == "large"
    [task] = view.open_tasks
    assert (task.element_id, task.role, task.form_key) == ("confirm", "clerk", "test_confirm")
    assert task.due_at is not None and task.instructions == "Check the amount."


def test_audit_trail_records_every_kind_of_step(deployed) -> None:
    case_id = flows.start(deployed, "service_flow", {"amount": "10", "on": "2026-03-01"})
    view = flows.complete(deployed, case_id, "confirm", {"ok": True}, actor="ann")
    assert flows.kinds(view) == ["case_started", "service_called", "decision_evaluated",
                                 "task_ready", "task_completed", "gateway_passed", "end_reached",
                                 "case_completed"]
    assert [e.seq for e in view.events] == list(range(1, 9))
    by_kind = {e.kind: e for e in view.events}
    assert by_kind["task_completed"].actor == "ann"
    assert by_kind["service_called"].payload["operator"] == "test.echo"
    decision = by_kind["decision_evaluated"].payload
    assert decision["matched_rules"][0]["rule_id"] == "r_small"
    assert decision["outputs"] == {"band": "small"}
    assert by_kind["gateway_passed"].payload["taken"][0]["element_id"] == "done"
    assert view.case.status == "completed" and view.case.completed_at is not None


def test_handler_error_becomes_incident_not_name_error(deployed, session_factory) -> None:
    case_id = flows.start(deployed, "service_flow", {"amount": "10", "on": "2026-03-01"})
    view = flows.complete(deployed, case_id, "confirm", {"ok": False})
    assert view.case.status == "incident"
    [incident] = view.incidents
    assert incident.element_id == "call_fail"
    assert incident.message == "the test system refused: account frozen"
    assert "NameError" not in incident.message
    assert flows.kinds(view)[-1] == "incident_raised"
    # the person's completion stays in the history although the handler after it failed
    assert "task_completed" in flows.kinds(view)
    assert [e.seq for e in view.events] == list(range(1, len(view.events) + 1))
    # the case is saved at the failing task and can be reloaded
    assert flows.show(deployed, case_id).case.status == "incident"
    with session_factory() as session:  # the failed handler's own write was rolled back
        assert session.get(NumberSequence, f"FAIL{case_id}") is None


def test_bad_form_data_reports_every_field_and_case_does_not_move(deployed) -> None:
    case_id = flows.start(deployed, "service_flow", {"amount": "10", "on": "2026-03-01"})
    task_id = flows.open_task(deployed, case_id, "confirm")
    from services import tasks

    with deployed() as work, pytest.raises(InvalidInput) as error:
        tasks.complete_task(work.session, task_id, {"ok": "maybe", "extra": 1}, "ann")
    assert set(error.value.field_errors) == {"ok", "extra"}
    view = flows.show(deployed, case_id)
    assert [t.id for t in view.open_tasks] == [task_id]
    assert "task_completed" not in flows.kinds(view)


def test_bad_start_data_is_rejected_with_all_fields(deployed, session_factory) -> None:
    with pytest.raises(InvalidInput) as error:
        flows.start(deployed, "service_flow", {"amount": "12.345", "on": "31/12/2026"})
    assert set(error.value.field_errors) == {"amount", "on"}
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(HumanTask)) == 0


def test_unknown_process_is_not_found(deployed) -> None:
    with pytest.raises(NotFound):
        flows.start(deployed, "no_such_process", {})


def test_long_loop_of_2000_iterations_completes(deployed, session_factory) -> None:
    case_id = flows.start(deployed, "long_loop", {"iterations": 2000})
    view = flows.show(deployed, case_id)
    assert view.data["counter"] == 2000
    assert view.data["total"] == Decimal("20.00")
    with session_factory() as session:
        saved_rows = session.scalar(select(func.count()).select_from(CaseTaskState)
                                    .where(CaseTaskState.case_id == case_id))
    assert saved_rows < 20  # history lives in the audit trail, not in the live tree
    view = flows.complete(deployed, case_id, "confirm", {"ok": True})
    assert view.case.status == "completed"


def test_incident_row_is_queryable(deployed, session_factory) -> None:
    case_id = flows.start(deployed, "service_flow", {"amount": "10", "on": "2026-03-01"})
    flows.complete(deployed, case_id, "confirm", {"ok": False})
    with session_factory() as session:
        incident = session.scalars(select(Incident)).one()
    assert (incident.case_id, incident.status, incident.error_type) == (
        case_id, "open", "HandlerError")


def test_task_rows_store_the_canonical_text_their_digest_is_taken_of(deployed) -> None:
    """The row's JSON is written as the text that was hashed (not encoded a second time, and
    not as a JSON string holding JSON): it reads back as the object, with its digest."""
    case_id = flows.start(deployed, "service_flow", {"amount": "10", "on": "2026-03-01"})
    with deployed() as work:
        rows = work.session.execute(select(CaseTaskState.content, CaseTaskState.digest).where(
            CaseTaskState.case_id == case_id)).all()
    assert rows
    for content, digest in rows:
        assert isinstance(content, dict)
        text = json.dumps(content, sort_keys=True, separators=(",", ":"))
        assert hashlib.sha256(text.encode()).hexdigest() == digest
