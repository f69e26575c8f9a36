"""The new business and payment handlers called directly, through the invoker's own
`call_handler` (a savepoint per call). Covers what the handlers do with the database (lookups,
the rows they read together, what a retry finds) and that the session sees their writes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from engine import ServiceTaskFailed
from handlers import REGISTRY, ensure_products
from handlers.registry import HandlerContext, HandlerError
from models import Customer, NumberSequence, Payment, Policy
from services.invoker import call_handler
from tests.support.applicants import PREMIUM, applicant
from tests.support.handler_calls import NOW, run


@pytest.fixture
def session(uow):  # type: ignore[no-untyped-def]
    with uow() as work:
        ensure_products(work.session)
        yield work.session


def _accepted(session: Session) -> str:
    """An application that is verified, paid and accepted by underwriting."""
    registration, _ = run(session, "new_business.register_application", applicant())
    number = registration["application_number"]
    run(session, "new_business.verify_customer", {"application_number": number})
    run(session, "payments.record_premium", {"application_number": number, **PREMIUM},
        task="premium")
    run(session, "new_business.record_underwriting",
        {"application_number": number, "decision": "accept", "reason": "Standard risk."})
    return number


def test_issued_policy_takes_over_the_premiums_paid(session: Session) -> None:
    number = _accepted(session)
    payment = session.scalars(select(Payment)).one()  # loaded: the session must see the link
    result, ctx = run(session, "new_business.issue_policy", {"application_number": number},
                      task="issue")
    policy = session.scalars(select(Policy)).one()
    assert payment.policy_id == policy.id
    assert session.scalar(select(Payment.policy_id)) == policy.id
    assert result["policy_number"] == policy.policy_number == "POL-000001"
    assert ctx.correlation_keys == [policy.policy_number]

    retried, ctx = run(session, "new_business.issue_policy", {"application_number": number},
                       task="issue")
    assert retried == result
    assert ctx.correlation_keys == [policy.policy_number]
    assert session.scalar(select(func.count()).select_from(Policy)) == 1


def test_verification_reads_the_customer_and_product_of_the_application(
        session: Session) -> None:
    registration, ctx = run(session, "new_business.register_application",
                            applicant(sum_insured="9000000.00", phone="12"))
    assert registration == {"application_number": "APP-000001",
                            "customer_number": "CUS-000001", "status": "registered"}
    assert (ctx.new_business_key, ctx.new_customer_name) == ("APP-000001", "Mei Lin")
    result, _ = run(session, "new_business.verify_customer",
                    {"application_number": "APP-000001"})
    assert result["complete"] is False
    assert result["reasons"] == [
        "The phone number has fewer than 7 digits.",
        "The sum insured 9000000.00 exceeds the Term life maximum of 5000000.00.",
    ]


def test_returning_customer_is_updated_not_copied(session: Session) -> None:
    run(session, "new_business.register_application", applicant())
    run(session, "new_business.verify_customer", {"application_number": "APP-000001"})
    again, _ = run(session, "new_business.register_application",
                   applicant(phone="+886 2 9999 0000"), task="t2")
    assert again["customer_number"] == "CUS-000001"
    customer = session.scalars(select(Customer)).one()
    assert customer.phone == "+886 2 9999 0000" and customer.verified_at is None


def test_premium_retry_returns_the_payment_already_made(session: Session) -> None:
    number = _accepted(session)
    again, _ = run(session, "payments.record_premium",
                   {"application_number": number, **PREMIUM}, task="premium")
    assert again["payment_number"] == "PAY-000001"
    assert session.scalar(select(func.count()).select_from(Payment)) == 1


@pytest.mark.parametrize("amount", ["0.01", "449.99", "450.01"])
def test_a_short_or_over_first_premium_is_not_booked(session: Session, amount: str) -> None:
    """The second line behind the form's and message's x-rules: nothing is booked."""
    registration, _ = run(session, "new_business.register_application", applicant())
    number = registration["application_number"]
    verified, _ = run(session, "new_business.verify_customer", {"application_number": number})
    assert verified["premium_due"] == Decimal("450.00")  # 250000 / 1000 x 1.80 (TERM_LIFE)
    with pytest.raises(HandlerError) as error:
        run(session, "payments.record_premium",
            {"application_number": number, **PREMIUM, "amount": amount}, task="premium")
    assert str(error.value) == f"The first premium {amount} is not the premium due 450.00."
    assert session.scalar(select(func.count()).select_from(Payment)) == 0


@pytest.mark.parametrize(("operator", "params", "message"), [
    ("new_business.verify_customer", {"application_number": " APP-999999 "},
     "Application APP-999999 does not exist."),
    ("new_business.issue_policy", {"application_number": "APP-999999"},
     "Application APP-999999 does not exist."),
    ("new_business.record_underwriting", {"application_number": "APP-999999"},
     "Application APP-999999 does not exist."),
    ("payments.record_premium", {"application_number": "APP-999999", **PREMIUM},
     "Application APP-999999 does not exist."),
    ("new_business.record_delivery", {"policy_number": "POL-999999"},
     "Policy POL-999999 does not exist."),
    ("new_business.register_application", applicant(product_code="NOPE"),
     "The product NOPE is not sold."),
])
def test_unknown_numbers_are_business_failures(session: Session, operator: str,
                                               params: dict[str, Any], message: str) -> None:
    with pytest.raises(HandlerError) as error:
        run(session, operator, params)
    assert str(error.value) == message


def test_issue_refuses_an_application_underwriting_has_not_accepted(session: Session) -> None:
    run(session, "new_business.register_application", applicant())
    with pytest.raises(HandlerError, match="has not been accepted by underwriting"):
        run(session, "new_business.issue_policy", {"application_number": "APP-000001"})


def _write_then_fail(ctx: HandlerContext, params: dict[str, Any]) -> dict[str, Any]:
    """A statements-only handler that writes, then fails the way `params` says."""
    ctx.connection.execute(insert(NumberSequence), {"name": "HALF", "next_value": 1})
    if params["fail"] == "refusal":
        raise HandlerError("refused after writing")
    ctx.connection.execute(insert(NumberSequence), {"name": "HALF", "next_value": 2})  # dup
    return {}


if REGISTRY.get("test.write_then_fail") is None:
    REGISTRY.register("test.write_then_fail", orm=False)(_write_then_fail)


@pytest.mark.parametrize("fail", ["refusal", "database_error"])
def test_a_failing_statements_handler_leaves_nothing_and_the_transaction_usable(
        session: Session, fail: str) -> None:
    """Its savepoint (a plain SAVEPOINT) is rolled back: what it wrote is gone, what the step
    wrote before it stays, and on PostgreSQL the transaction is usable again after the
    database refused a statement."""
    session.execute(insert(NumberSequence), {"name": "BEFORE", "next_value": 1})
    ctx = HandlerContext(session=session, case_id=1, task_id="t9", element_id="t9",
                         idempotency_key="case-1/task-t9", now=NOW)
    with pytest.raises(ServiceTaskFailed) as failed:
        call_handler(session, "test.write_then_fail", _write_then_fail, ctx, {"fail": fail})
    assert failed.value.error_type == ("HandlerError" if fail == "refusal" else "IntegrityError")
    names = set(session.scalars(select(NumberSequence.name)))
    assert "BEFORE" in names and "HALF" not in names
