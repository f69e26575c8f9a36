"""Messages from outside on the real processes: premium paid, signed receipt, documents."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import select

from models import Claim, HumanTask, InboundMessage, Payment, Policy
from services import diagrams, history, messages
from services.errors import InvalidInput
from tests.support import flows
from tests.support.applicants import DELIVERY, PREMIUM, applicant

BANK_PAYMENT = {"method": "bank_transfer", "amount": "450.00", "paid_on": "2026-11-24",
                "reference": "BANK-77"}
SIGNED = {"receipt_signed_on": "2026-11-25", "signed_by": "Mei Lin",
          "receipt_reference": "SCAN-9"}
CLAIM = {"policy_number": "", "loss_date": "2026-11-25", "cause": "accident",
         "description": "Broken arm", "amount_claimed": "1200.00"}
DOCUMENTS = {"documents": [{"kind": "medical_report", "reference": "MR-1"},
                           {"kind": "invoice", "reference": "INV-1"}]}


def send(uow, name: str, key: str, payload: object,  # type: ignore[no-untyped-def]
         message_id: str | None = None) -> messages.MessageOutcome:
    with uow() as work:
        outcome = messages.receive_message(work.session, name, key, payload, message_id, "bank")
        work.commit()
        return outcome


def flows_diagram(uow, case_id: int) -> diagrams.CaseDiagram:  # type: ignore[no-untyped-def]
    with uow() as work:
        return diagrams.case_diagram(work.session, case_id, viewer=None)


def _key(uow, case_id: int) -> str:  # type: ignore[no-untyped-def]
    key = flows.show(uow, case_id).case.business_key
    assert key is not None
    return key


def _task_status(uow, case_id: int, element_id: str) -> str:  # type: ignore[no-untyped-def]
    with uow() as work:
        return work.session.scalars(select(HumanTask.status).where(
            HumanTask.case_id == case_id, HumanTask.element_id == element_id)).one()


def test_bank_payment_books_the_premium_and_cancels_the_clerks_task(insurer) -> None:
    case_id = flows.start(insurer, "new_business", applicant())
    outcome = send(insurer, "premium_payment_received", _key(insurer, case_id), BANK_PAYMENT,
                   "BANK-MSG-1")
    assert outcome.delivered and not outcome.duplicate
    assert outcome.message.case_id == case_id
    view = flows.show(insurer, case_id)
    assert [t.element_id for t in view.open_tasks] == ["deliver_policy"]
    assert _task_status(insurer, case_id, "record_first_premium") == "cancelled"
    with insurer() as work:
        payment = work.session.scalars(select(Payment)).one()
    assert (payment.amount, payment.reference, str(payment.paid_on)) == (
        Decimal("450.00"), "BANK-77", "2026-11-24")
    received = [e for e in view.events if e.kind == "message_received"]
    assert received[0].payload["message_id"] == "BANK-MSG-1"
    assert (received[0].actor, received[0].element_id) == ("bank", "premium_payment_received")
    lines = [line.text for line in history.describe(view.events, "new_business")]
    assert any(line.startswith("The message \u201cpremium payment received\u201d about APP-")
               for line in lines)
    diagram = flows_diagram(insurer, case_id)
    assert "premium_payment_received" in diagram.completed


def test_the_same_message_twice_changes_nothing(insurer) -> None:
    case_id = flows.start(insurer, "new_business", applicant())
    key = _key(insurer, case_id)
    send(insurer, "premium_payment_received", key, BANK_PAYMENT, "BANK-MSG-2")
    before = flows.show(insurer, case_id)
    again = send(insurer, "premium_payment_received", key, BANK_PAYMENT, "BANK-MSG-2")
    assert again.duplicate and again.delivered
    after = flows.show(insurer, case_id)
    assert len(after.events) == len(before.events)
    with insurer() as work:
        assert len(work.session.scalars(select(Payment)).all()) == 1
        assert len(work.session.scalars(select(InboundMessage)).all()) == 1


def test_signed_receipt_by_policy_number_puts_the_policy_in_force(insurer) -> None:
    case_id = flows.start(insurer, "new_business", applicant())
    flows.complete(insurer, case_id, "record_first_premium", PREMIUM)
    flows.complete(insurer, case_id, "deliver_policy", DELIVERY)
    with insurer() as work:
        policy_number = work.session.scalars(select(Policy.policy_number)).one()
    outcome = send(insurer, "signed_delivery_receipt_received", policy_number, SIGNED)
    assert outcome.delivered and outcome.message.case_id == case_id
    view = flows.show(insurer, case_id)
    assert view.case.status == "completed"
    assert _task_status(insurer, case_id, "record_delivery_confirmation") == "cancelled"
    with insurer() as work:
        policy = work.session.scalars(select(Policy)).one()
    assert (policy.status, policy.receipt_signed_by) == ("in_force", "Mei Lin")


def _claim_in_investigation(uow) -> int:  # type: ignore[no-untyped-def]
    case_id = flows.start(uow, "new_business", applicant())
    flows.complete(uow, case_id, "record_first_premium", PREMIUM)
    flows.complete(uow, case_id, "deliver_policy", DELIVERY)
    with uow() as work:
        policy_number = work.session.scalars(select(Policy.policy_number)).one()
    send(uow, "signed_delivery_receipt_received", policy_number, SIGNED)
    claim_id = flows.start(uow, "claims", {**CLAIM, "policy_number": policy_number}, "ch1")
    flows.open_task(uow, claim_id, "investigate_claim")
    return claim_id


def test_claim_documents_are_filed_while_the_investigation_goes_on(insurer) -> None:
    case_id = _claim_in_investigation(insurer)
    outcome = send(insurer, "claim_documents_received", _key(insurer, case_id), DOCUMENTS)
    assert outcome.delivered
    view = flows.show(insurer, case_id)
    assert [t.element_id for t in view.open_tasks] == ["investigate_claim"]
    assert view.case.status == "active"
    with insurer() as work:
        claim = work.session.scalars(select(Claim)).one()
    assert [(d["kind"], d["reference"]) for d in claim.documents] == [
        ("medical_report", "MR-1"), ("invoice", "INV-1")]
    # the investigation finishes as before
    flows.complete(insurer, case_id, "investigate_claim", {
        "cause_confirmed": True, "extent_of_loss": "Fracture", "fraud_indicators": [],
        "findings": "Hospital report matches", "recommendation": "continue"}, actor="ch1")
    assert flows.open_task(insurer, case_id, "assess_loss")


def test_unknown_key_is_refused_and_recorded(insurer) -> None:
    outcome = send(insurer, "premium_payment_received", "APP-999999", BANK_PAYMENT, "M-404")
    assert outcome.message.outcome == "unknown_key" and outcome.message.case_id is None
    with insurer() as work:
        stored = work.session.get(InboundMessage, "M-404")
        assert stored is not None and stored.payload["reference"] == "BANK-77"


def test_a_case_not_waiting_refuses_and_records(insurer) -> None:
    case_id = flows.start(insurer, "new_business", applicant())
    outcome = send(insurer, "signed_delivery_receipt_received", _key(insurer, case_id), SIGNED)
    assert outcome.message.outcome == "not_waiting" and outcome.message.case_id == case_id
    assert "not waiting" in outcome.message.detail
    view = flows.show(insurer, case_id)
    assert [t.element_id for t in view.open_tasks] == ["record_first_premium"]
    assert "message_received" not in flows.kinds(view)


def test_invalid_payload_is_refused_with_every_field_and_not_recorded(insurer) -> None:
    case_id = flows.start(insurer, "new_business", applicant())
    with pytest.raises(InvalidInput) as refused:
        send(insurer, "premium_payment_received", _key(insurer, case_id),
             {"method": "cash", "amount": "12.345"}, "M-BAD")
    assert set(refused.value.field_errors) == {"method", "amount", "paid_on"}
    with pytest.raises(InvalidInput) as unknown:
        send(insurer, "parcel_arrived", "APP-1", {})
    assert "name" in unknown.value.field_errors
    with insurer() as work:
        assert work.session.scalars(select(InboundMessage)).all() == []
    assert [t.element_id for t in flows.show(insurer, case_id).open_tasks] == [
        "record_first_premium"]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_same_message_twice_at_once_is_delivered_once(insurer) -> None:
    case_id = flows.start(insurer, "new_business", applicant())
    key = _key(insurer, case_id)
    barrier = threading.Barrier(2)
    answers: list[tuple[str, bool]] = []

    def deliver() -> None:
        with insurer() as work:
            barrier.wait()
            outcome = messages.receive_message(work.session, "premium_payment_received", key,
                                               BANK_PAYMENT, "BANK-RACE", "bank")
            work.commit()
            answers.append((outcome.message.outcome, outcome.duplicate))

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(answers) == [("delivered", False), ("delivered", True)]
    with insurer() as work:
        assert len(work.session.scalars(select(Payment)).all()) == 1
    assert flows.kinds(flows.show(insurer, case_id)).count("message_received") == 1
