"""The claims handlers called directly, through the invoker's own `call_handler`. Covers what
they read together (a claim with its policy, a policy with its customer), what they write,
and what a retried task finds."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handlers import ensure_products
from handlers.registry import HandlerError
from models import Application, Claim, Customer, Payment, Policy
from tests.support.handler_calls import NOW, run

LOSS = {"loss_date": "2026-11-20", "cause": "accident", "description": "Fell from a ladder",
        "amount_claimed": "8000.00"}
INVESTIGATION = {"cause_confirmed": True, "extent_of_loss": "Hospital stay of 5 days",
                 "fraud_indicators": ["prior_claims", "prior_claims"],
                 "findings": "Consistent with records", "recommendation": "continue"}
PAYOUT = {"method": "bank_transfer", "paid_on": "2026-11-25", "reference": "PAY-REF-1"}


@pytest.fixture
def session(uow):  # type: ignore[no-untyped-def]
    with uow() as work:
        ensure_products(work.session)
        yield work.session


def _policy(session: Session, status: str = "in_force") -> str:
    customer = Customer(customer_number="CUS-000001", full_name="Mei Lin",
                        date_of_birth=date(1990, 5, 17), id_number="ID-1")
    session.add(customer)
    session.flush()
    application = Application(
        application_number="APP-000001", customer_id=customer.id, product_code="TERM_LIFE",
        sum_insured=Decimal("500000.00"), channel="agent", occupation="Teacher",
        occupation_class="A", smoker=False, hazardous_hobbies=False, health_declaration={},
        consent=True, status="issued")
    session.add(application)
    session.flush()
    session.add(Policy(
        policy_number="POL-000001", application_id=application.id, customer_id=customer.id,
        product_code="TERM_LIFE", sum_insured=Decimal("500000.00"),
        annual_premium=Decimal("600.00"), loading_percent=Decimal("0"),
        effective_date=date(2026, 1, 1), expiry_date=date(2026, 12, 31), status=status))
    session.flush()
    return "POL-000001"


def _register(session: Session, policy_number: str, **changes: Any) -> str:
    result, _ = run(session, "claims.register_claim",
                    {"policy_number": policy_number, **LOSS, **changes}, task="register")
    return str(result["claim_number"])


def _claim(session: Session, number: str) -> Any:
    return session.execute(select(Claim.__table__).where(Claim.claim_number == number)).one()


def test_registration_names_the_customer_and_a_retry_registers_nothing(
        session: Session) -> None:
    policy_number = _policy(session)
    result, ctx = run(session, "claims.register_claim", {"policy_number": policy_number, **LOSS})
    assert result == {"claim_number": "CLM-000001", "policy_number": policy_number,
                      "amount_claimed": Decimal("8000.00"), "status": "registered"}
    assert (ctx.new_business_key, ctx.new_customer_name) == ("CLM-000001", "Mei Lin")
    claim = _claim(session, "CLM-000001")
    assert claim.policy_id == session.scalar(select(Policy.id))
    assert (claim.fraud_indicators, claim.documents, claim.created_at) == ([], [], NOW)

    retried, ctx = run(session, "claims.register_claim",
                       {"policy_number": policy_number, **LOSS}, business_key="CLM-000001")
    assert retried == result
    assert ctx.new_business_key is None
    assert session.scalar(select(func.count()).select_from(Claim)) == 1


def test_a_claim_on_an_unknown_policy_is_registered_but_not_covered(session: Session) -> None:
    number = _register(session, "POL-404")
    assert _claim(session, number).policy_id is None
    result, _ = run(session, "claims.check_coverage", {"claim_number": number})
    assert result == {"claim_number": number, "covered": False,
                      "reason": "Policy POL-404 does not exist."}
    assert _claim(session, number).status == "not_covered"


def test_coverage_reports_a_policy_that_is_not_in_force(session: Session) -> None:
    number = _register(session, _policy(session, status="lapsed"))
    result, _ = run(session, "claims.check_coverage", {"claim_number": number})
    assert result["reason"] == "Policy POL-000001 is not in force (status lapsed)."
    assert result["covered"] is False


@pytest.mark.parametrize(("changes", "reason"), [
    ({"loss_date": "2026-11-26"}, "The loss date 2026-11-26 is in the future."),
    ({"loss_date": "2025-12-31"}, "The loss date 2025-12-31 is outside the cover period "
                                  "2026-01-01 to 2026-12-31."),
    ({"amount_claimed": "500000.01"}, "The amount claimed 500000.01 exceeds the sum insured "
                                      "500000.00."),
])
def test_coverage_checks_the_loss_against_the_policy(
        session: Session, changes: dict[str, str], reason: str) -> None:
    number = _register(session, _policy(session), **changes)
    result, _ = run(session, "claims.check_coverage", {"claim_number": number})
    assert (result["covered"], result["reason"]) == (False, reason)


def test_documents_are_filed_once(session: Session) -> None:
    number = _register(session, _policy(session))
    documents = [{"kind": "claim_form", "reference": "F-1"},
                 {"kind": "invoice", "reference": "INV-9"}]
    result, _ = run(session, "claims.record_documents",
                    {"claim_number": number, "documents": documents})
    assert (result["documents_added"], result["documents_on_file"]) == (2, 2)
    result, _ = run(session, "claims.record_documents",
                    {"claim_number": number,
                     "documents": [documents[1], {"kind": "photos", "reference": "P-1"}]})
    assert (result["documents_added"], result["documents_on_file"]) == (1, 3)
    filed = _claim(session, number).documents
    assert [(d["kind"], d["reference"]) for d in filed] == [
        ("claim_form", "F-1"), ("invoice", "INV-9"), ("photos", "P-1")]
    assert filed[0]["received_at"] == NOW.isoformat()


def test_a_payout_is_made_once_and_closes_the_claim(session: Session) -> None:
    number = _register(session, _policy(session))
    run(session, "claims.check_coverage", {"claim_number": number})
    result, _ = run(session, "claims.record_investigation",
                    {"claim_number": number, **INVESTIGATION})
    assert result["fraud_indicator_count"] == 1
    with pytest.raises(HandlerError, match="exceeds the amount claimed 8000.00"):
        run(session, "claims.record_assessment",
            {"claim_number": number, "amount_to_pay": "8000.01", "rationale": "Too much"})
    run(session, "claims.record_assessment",
        {"claim_number": number, "amount_to_pay": "7500.00", "rationale": "Per invoice"})
    with pytest.raises(HandlerError, match=f"Claim {number} is not approved for payment."):
        run(session, "claims.pay_claim", {"claim_number": number, **PAYOUT}, task="pay")
    approval, _ = run(session, "claims.record_approval",
                      {"claim_number": number, "approver_role": "claims_handler",
                       "decision": "approve", "comment": " ok "})
    assert approval == {"claim_number": number, "approver_role": "claims_handler",
                        "decision": "approve", "comment": "ok"}

    paid, _ = run(session, "claims.pay_claim", {"claim_number": number, **PAYOUT}, task="pay")
    assert paid == {"payment_number": "PAY-000001", "direction": "out",
                    "method": "bank_transfer", "amount": Decimal("7500.00"),
                    "paid_on": date(2026, 11, 25), "reference": "PAY-REF-1",
                    "claim_number": number, "status": "paid"}
    retried, _ = run(session, "claims.pay_claim", {"claim_number": number, **PAYOUT}, task="pay")
    assert retried == paid
    assert session.scalar(select(func.count()).select_from(Payment)) == 1
    claim = _claim(session, number)
    assert (claim.status, claim.assessed_amount, claim.closed_at) == (
        "paid", Decimal("7500.00"), NOW)
    assert claim.fraud_indicators == ["prior_claims"]
    assert session.execute(select(Payment.claim_id, Payment.policy_id)).one() == (
        claim.id, claim.policy_id)

    with pytest.raises(HandlerError, match=rf"Claim {number} is already closed \(paid\)\."):
        run(session, "claims.pay_claim", {"claim_number": number, **PAYOUT}, task="other")


def test_a_rejection_keeps_its_reason_and_an_unknown_claim_is_reported(
        session: Session) -> None:
    number = _register(session, _policy(session))
    result, _ = run(session, "claims.reject_claim", {"claim_number": number, "reason": " Late "})
    assert result == {"claim_number": number, "status": "rejected", "rejection_reason": "Late"}
    claim = _claim(session, number)
    assert (claim.status, claim.rejection_reason, claim.closed_at) == ("rejected", "Late", NOW)
    with pytest.raises(HandlerError, match="Claim CLM-999999 does not exist."):
        run(session, "claims.check_coverage", {"claim_number": "CLM-999999"})
