"""Timers in the real processes fire when the engine's clock passes their due time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.processes.conftest import TODAY
from tests.support import flows
from tests.support.applicants import DELIVERY, PREMIUM, RECEIPT, applicant
from tests.support.jobs import MovableClock, jobs_of, run_due_jobs

ACK = {"action_taken": "Spoke to the team"}
INVESTIGATION = {"cause_confirmed": True, "extent_of_loss": "Hospital stay of 5 days",
                 "fraud_indicators": [], "findings": "Consistent with records",
                 "recommendation": "continue"}


@pytest.fixture
def clock(insurer) -> MovableClock:  # type: ignore[no-untyped-def]
    return MovableClock(TODAY)


def _open(uow, case_id: int) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {t.element_id: t.role for t in flows.show(uow, case_id).open_tasks}


def _referred(uow) -> int:  # type: ignore[no-untyped-def]
    case_id = flows.start(uow, "new_business", applicant(health_conditions="major",
                                                         health_details="Type 1 diabetes"))
    flows.complete(uow, case_id, "record_first_premium", PREMIUM)
    assert "underwriting_review" in _open(uow, case_id)
    return case_id


def _fired(uow, case_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.element_id for e in flows.show(uow, case_id).events if e.kind == "timer_fired"]


def test_review_reminds_supervisor_at_24_hours_and_escalates_at_48(
        insurer, clock, session_factory) -> None:  # type: ignore[no-untyped-def]
    case_id = _referred(insurer)
    assert flows.show(insurer, case_id).case.next_due_at == TODAY + timedelta(hours=24)
    clock.advance(hours=23, minutes=59)
    run_due_jobs(session_factory)
    assert set(_open(insurer, case_id)) == {"underwriting_review"}

    clock.advance(minutes=1, seconds=1)
    run_due_jobs(session_factory)
    assert _open(insurer, case_id) == {"underwriting_review": "underwriter",
                                       "remind_underwriting_supervisor": "supervisor"}
    view = flows.show(insurer, case_id)
    assert view.case.next_due_at == TODAY + timedelta(hours=48)
    fired = [e for e in view.events if e.kind == "timer_fired"]
    assert fired[0].element_id == "underwriting_review_overdue"
    assert fired[0].payload["due_at"] == (TODAY + timedelta(hours=24)).isoformat()

    clock.advance(hours=24)
    run_due_jobs(session_factory)
    assert _open(insurer, case_id) == {"senior_underwriting_review": "senior_underwriter",
                                       "remind_underwriting_supervisor": "supervisor"}
    assert _fired(insurer, case_id)[-1] == "underwriting_review_escalated"
    flows.complete(insurer, case_id, "senior_underwriting_review",
                   {"decision": "accept", "reason": "Escalated: acceptable"}, actor="senior1")
    view = flows.complete(insurer, case_id, "remind_underwriting_supervisor", ACK,
                          actor="super1")
    assert set(_open(insurer, case_id)) == {"deliver_policy"}
    assert view.case.next_due_at is None
    assert [(j.kind, j.status) for j in jobs_of(session_factory, case_id)] == [
        ("timer", "done"), ("timer", "done")]


def test_review_in_time_cancels_both_timers(insurer, clock, session_factory) -> None:  # type: ignore[no-untyped-def]
    case_id = _referred(insurer)
    clock.advance(hours=2)
    view = flows.complete(insurer, case_id, "underwriting_review",
                          {"decision": "accept", "reason": "Fine"}, actor="uw1")
    assert set(_open(insurer, case_id)) == {"deliver_policy"}
    assert view.case.next_due_at is None
    clock.advance(hours=50)
    assert run_due_jobs(session_factory) == 0
    assert set(_open(insurer, case_id)) == {"deliver_policy"}
    assert _fired(insurer, case_id) == []


def _delivered(uow) -> int:  # type: ignore[no-untyped-def]
    case_id = flows.start(uow, "new_business", applicant())
    flows.complete(uow, case_id, "record_first_premium", PREMIUM)
    flows.complete(uow, case_id, "deliver_policy", DELIVERY)
    return case_id


def test_missing_receipt_reminds_at_15_days_and_escalates_at_30(
        insurer, clock, session_factory) -> None:  # type: ignore[no-untyped-def]
    case_id = _delivered(insurer)
    assert flows.show(insurer, case_id).case.next_due_at == TODAY + timedelta(days=15)
    clock.advance(days=15, seconds=1)
    run_due_jobs(session_factory)
    assert _open(insurer, case_id) == {"record_delivery_confirmation": "clerk",
                                       "remind_delivery_receipt": "clerk"}
    flows.complete(insurer, case_id, "remind_delivery_receipt", {"action_taken": "Phoned"})
    clock.advance(days=15)
    run_due_jobs(session_factory)
    assert set(_open(insurer, case_id)) == {"chase_delivery_receipt"}
    view = flows.complete(insurer, case_id, "chase_delivery_receipt", RECEIPT)
    assert view.case.status == "completed"
    assert _fired(insurer, case_id) == ["delivery_receipt_overdue", "delivery_receipt_escalated"]


def test_receipt_in_time_needs_no_reminder(insurer, clock, session_factory) -> None:  # type: ignore[no-untyped-def]
    case_id = _delivered(insurer)
    clock.advance(days=3)
    view = flows.complete(insurer, case_id, "record_delivery_confirmation", RECEIPT)
    assert view.case.status == "completed"
    clock.advance(days=40)
    assert run_due_jobs(session_factory) == 0


def test_investigation_sla_notifies_claims_manager(insurer, clock, session_factory) -> None:  # type: ignore[no-untyped-def]
    policy_case = _delivered(insurer)
    view = flows.complete(insurer, policy_case, "record_delivery_confirmation", RECEIPT)
    policy = str(view.data["issuance"]["policy_number"])
    case_id = flows.start(insurer, "claims", {
        "policy_number": policy, "loss_date": "2026-11-25", "cause": "accident",
        "description": "Fell from a ladder", "amount_claimed": "1000.00"})
    clock.advance(days=9, hours=23)
    run_due_jobs(session_factory)
    assert set(_open(insurer, case_id)) == {"investigate_claim"}
    clock.advance(hours=1, seconds=1)
    run_due_jobs(session_factory)
    assert _open(insurer, case_id) == {"investigate_claim": "claims_handler",
                                       "investigation_overdue_notice": "claims_manager"}
    flows.complete(insurer, case_id, "investigation_overdue_notice", ACK, actor="manager1")
    view = flows.complete(insurer, case_id, "investigate_claim", INVESTIGATION)
    assert set(_open(insurer, case_id)) == {"assess_loss"}
    assert view.case.status == "active"
