"""Every path of the claims process, on a policy issued by the new business process."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from models import Claim, Payment
from services.errors import InvalidInput
from tests.support import flows
from tests.support.applicants import DELIVERY, PREMIUM, RECEIPT, applicant

INVESTIGATION = {"cause_confirmed": True, "extent_of_loss": "Hospital stay of 5 days",
                 "fraud_indicators": [], "findings": "Consistent with records",
                 "recommendation": "continue"}
PAYOUT = {"method": "bank_transfer", "paid_on": "2026-11-25", "reference": "PAY-REF-1"}


@pytest.fixture
def policy_number(insurer) -> str:  # type: ignore[no-untyped-def]
    case_id = flows.start(insurer, "new_business", applicant(sum_insured="500000.00"))
    flows.complete(insurer, case_id, "record_first_premium", {**PREMIUM, "amount": "900.00"})
    flows.complete(insurer, case_id, "deliver_policy", DELIVERY)
    view = flows.complete(insurer, case_id, "record_delivery_confirmation", RECEIPT)
    return str(view.data["issuance"]["policy_number"])


def _claim(uow, policy: str, amount: str, loss_date: str = "2026-11-25") -> int:  # type: ignore[no-untyped-def]
    return flows.start(uow, "claims", {
        "policy_number": policy, "loss_date": loss_date, "cause": "accident",
        "description": "Fell from a ladder", "amount_claimed": amount}, actor="clerk1")


def _claim_row(uow, case_id: int) -> Claim:  # type: ignore[no-untyped-def]
    key = flows.show(uow, case_id).case.business_key
    with uow() as work:
        return work.session.scalars(select(Claim).where(Claim.claim_number == key)).one()


@pytest.mark.parametrize("amount,approver_task,role", [
    ("8000.00", "approve_claim_handler", "claims_handler"),
    ("20000.00", "approve_claim_senior", "senior_claims_handler"),
    ("80000.00", "approve_claim_manager", "claims_manager"),
])
def test_authority_band_routes_approval_and_pays(insurer, policy_number: str, amount: str,
                                                 approver_task: str, role: str) -> None:
    case_id = _claim(insurer, policy_number, amount)
    flows.complete(insurer, case_id, "investigate_claim", INVESTIGATION, actor="ch1")
    view = flows.complete(insurer, case_id, "assess_loss",
                          {"amount_to_pay": amount, "rationale": "Full amount"}, actor="ch1")
    [task] = view.open_tasks
    assert (task.element_id, task.role) == (approver_task, role)
    flows.complete(insurer, case_id, approver_task, {"decision": "approve", "comment": "ok"})
    view = flows.complete(insurer, case_id, "pay_claim_task", PAYOUT, actor="fin1")
    assert view.case.status == "completed"
    claim = _claim_row(insurer, case_id)
    assert claim.status == "paid" and claim.assessed_amount == Decimal(amount)
    with insurer() as work:
        payout = work.session.scalars(select(Payment).where(Payment.claim_id == claim.id)).one()
    assert (payout.direction, payout.amount) == ("out", Decimal(amount))


def test_fraud_indicator_sends_small_claim_to_manager(insurer, policy_number: str) -> None:
    case_id = _claim(insurer, policy_number, "500.00")
    flows.complete(insurer, case_id, "investigate_claim",
                   {**INVESTIGATION, "fraud_indicators": ["late_reporting"]})
    view = flows.complete(insurer, case_id, "assess_loss",
                          {"amount_to_pay": "500.00", "rationale": "ok"})
    assert view.open_tasks[0].element_id == "approve_claim_manager"


def test_claim_on_unknown_policy_is_rejected_with_reason(insurer) -> None:
    case_id = _claim(insurer, "POL-999999", "100.00")
    view = flows.show(insurer, case_id)
    assert view.case.status == "completed" and view.open_tasks == []
    claim = _claim_row(insurer, case_id)
    assert claim.status == "rejected" and claim.rejection_reason


def test_claim_above_sum_insured_is_rejected(insurer, policy_number: str) -> None:
    case_id = _claim(insurer, policy_number, "900000.00")
    assert _claim_row(insurer, case_id).status == "rejected"


def test_investigation_rejects(insurer, policy_number: str) -> None:
    case_id = _claim(insurer, policy_number, "1000.00")
    view = flows.complete(insurer, case_id, "investigate_claim", {
        **INVESTIGATION, "recommendation": "reject",
        "rejection_reason": "Injury predates the policy"})
    assert view.case.status == "completed"
    claim = _claim_row(insurer, case_id)
    assert (claim.status, claim.rejection_reason) == ("rejected", "Injury predates the policy")


def test_approver_rejects(insurer, policy_number: str) -> None:
    case_id = _claim(insurer, policy_number, "1000.00")
    flows.complete(insurer, case_id, "investigate_claim", INVESTIGATION)
    flows.complete(insurer, case_id, "assess_loss", {"amount_to_pay": "1000.00",
                                                     "rationale": "ok"})
    view = flows.complete(insurer, case_id, "approve_claim_handler", {
        "decision": "reject", "comment": "no", "rejection_reason": "Excluded activity"})
    assert view.case.status == "completed"
    assert _claim_row(insurer, case_id).rejection_reason == "Excluded activity"


def test_assessment_above_claim_is_refused_at_the_form(insurer, policy_number: str) -> None:
    case_id = _claim(insurer, policy_number, "1000.00")
    flows.complete(insurer, case_id, "investigate_claim", INVESTIGATION)
    with pytest.raises(InvalidInput) as refused:
        flows.complete(insurer, case_id, "assess_loss", {"amount_to_pay": "5000.00",
                                                         "rationale": "too much"})
    assert refused.value.field_errors == {
        "amount_to_pay": ["Must be at most the amount claimed (1000.00)."]}
    view = flows.show(insurer, case_id)  # the case did not move and has no incident
    assert view.case.status == "active" and view.incidents == []
    assert [t.element_id for t in view.open_tasks] == ["assess_loss"]
    with insurer() as work:
        assert work.session.scalars(select(Claim)).one().assessed_amount is None
