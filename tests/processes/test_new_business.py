"""Every path of the new business process, saved and restored between steps."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from models import Application, Payment, Policy
from tests.support import flows
from tests.support.applicants import DELIVERY, PREMIUM, RECEIPT, applicant


def _to_underwriting(uow, data) -> int:  # type: ignore[no-untyped-def]
    case_id = flows.start(uow, "new_business", data)
    due = flows.show(uow, case_id).data["verification"]["premium_due"]  # product and sum
    flows.complete(uow, case_id, "record_first_premium", {**PREMIUM, "amount": str(due)})
    return case_id


def _deliver(uow, case_id: int) -> flows.CaseView:  # type: ignore[no-untyped-def]
    flows.complete(uow, case_id, "deliver_policy", DELIVERY)
    return flows.complete(uow, case_id, "record_delivery_confirmation", RECEIPT)


def _application(uow, case_id: int) -> Application:  # type: ignore[no-untyped-def]
    key = flows.show(uow, case_id).case.business_key
    with uow() as work:
        return work.session.scalars(select(Application)
                                    .where(Application.application_number == key)).one()


def _policy(uow, application: Application) -> Policy:  # type: ignore[no-untyped-def]
    with uow() as work:
        return work.session.scalars(select(Policy).where(
            Policy.application_id == application.id)).one()


def test_accept_at_standard_rate_to_policy_in_force(insurer) -> None:
    case_id = _to_underwriting(insurer, applicant())
    view = _deliver(insurer, case_id)
    assert view.case.status == "completed"
    assert view.case.business_key.startswith("APP-")
    application = _application(insurer, case_id)
    assert application.risk_class == "accept"
    policy = _policy(insurer, application)
    assert policy.status == "in_force" and policy.receipt_signed_by == "Mei Lin"
    assert policy.annual_premium == Decimal("450.00")  # 250,000 / 1000 * 1.80
    with insurer() as work:
        payment = work.session.scalars(select(Payment)).one()
    assert (payment.direction, payment.amount, payment.method) == (
        "in", Decimal("450.00"), "bank_transfer")
    kinds = flows.kinds(view)
    assert kinds[0] == "case_started" and kinds[-1] == "case_completed"
    assert "decision_evaluated" in kinds


def test_smoker_is_accepted_with_loading(insurer) -> None:
    case_id = _to_underwriting(insurer, applicant(smoker=True))
    _deliver(insurer, case_id)
    application = _application(insurer, case_id)
    assert application.risk_class == "accept_with_loading"
    policy = _policy(insurer, application)
    assert policy.loading_percent > 0
    assert policy.annual_premium > Decimal("450.00")


def test_table_declines_major_condition_above_70(insurer) -> None:
    case_id = _to_underwriting(insurer, applicant(
        date_of_birth="1955-01-01", health_conditions="major", health_details="Heart failure",
        product_code="WHOLE_LIFE"))
    view = flows.show(insurer, case_id)
    assert view.case.status == "completed" and view.open_tasks == []
    application = _application(insurer, case_id)
    assert application.status == "declined" and application.decision_reason
    assert "end_reached" in flows.kinds(view)
    assert view.events[-2].element_id == "application_declined"


def _referred(uow) -> int:  # type: ignore[no-untyped-def]
    case_id = _to_underwriting(uow, applicant(health_conditions="major",
                                              health_details="Type 1 diabetes"))
    task = flows.show(uow, case_id).open_tasks[0]
    assert (task.element_id, task.role) == ("underwriting_review", "underwriter")
    return case_id


def test_referred_then_underwriter_accepts(insurer) -> None:
    case_id = _referred(insurer)
    flows.complete(insurer, case_id, "underwriting_review",
                   {"decision": "accept", "reason": "Well controlled"}, actor="uw1")
    view = _deliver(insurer, case_id)
    assert view.case.status == "completed"
    assert _application(insurer, case_id).risk_class == "accept"


def test_referred_then_underwriter_declines(insurer) -> None:
    case_id = _referred(insurer)
    view = flows.complete(insurer, case_id, "underwriting_review",
                          {"decision": "decline", "reason": "Unstable condition"}, actor="uw1")
    assert view.case.status == "completed" and view.open_tasks == []
    application = _application(insurer, case_id)
    assert application.status == "declined"
    assert application.decision_reason == "Unstable condition"


def test_referred_to_senior_who_accepts_with_loading(insurer) -> None:
    case_id = _referred(insurer)
    view = flows.complete(insurer, case_id, "underwriting_review",
                          {"decision": "refer_to_senior", "reason": "Needs senior view"},
                          actor="uw1")
    assert view.open_tasks[0].role == "senior_underwriter"
    flows.complete(insurer, case_id, "senior_underwriting_review",
                   {"decision": "accept_with_loading", "loading_percent": 50,
                    "reason": "Loaded for diabetes"}, actor="suw1")
    view = _deliver(insurer, case_id)
    assert view.case.status == "completed"
    application = _application(insurer, case_id)
    assert application.loading_percent == Decimal("50")
    assert _policy(insurer, application).annual_premium == Decimal("675.00")


def test_implausible_application_goes_back_to_clerk(insurer) -> None:
    case_id = flows.start(insurer, "new_business", applicant(
        product_code="HEALTH", sum_insured="9000000.00"))
    view = flows.show(insurer, case_id)
    [task] = view.open_tasks
    assert (task.element_id, task.role) == ("complete_application", "clerk")
    assert view.data["verification"]["complete"] is False
    assert view.data["verification"]["reasons"]
    view = flows.complete(insurer, case_id, "complete_application",
                          applicant(product_code="HEALTH", sum_insured="500000.00"))
    assert view.open_tasks[0].element_id == "record_first_premium"
    assert view.case.business_key == _application(insurer, case_id).application_number
