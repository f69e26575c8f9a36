"""Input a handler would refuse is refused at the form, on the real processes: for every rule
(x-rules) of every shipped form, the value just across its line is what the handler behind
the task refuses, and the form refuses it first: an error on the field, the case does not
move, no incident, nothing booked."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from handlers.registry import HandlerError
from models import Case, InboundMessage, Payment, Policy
from services import messages
from services.errors import InvalidInput
from services.form_rules import FormRule, parse_rules
from tests.support import flows
from tests.support.applicants import DELIVERY, PREMIUM, RECEIPT, applicant
from tests.support.handler_calls import run

from .conftest import TODAY

FORMS = Path(__file__).resolve().parents[2] / "forms"
INVESTIGATION = {"cause_confirmed": True, "extent_of_loss": "Hospital stay",
                 "fraud_indicators": [], "findings": "Consistent", "recommendation": "continue"}
CLAIM = {"loss_date": "2026-11-25", "cause": "accident", "description": "Fell",
         "amount_claimed": "1200.00"}


def _at_premium(uow) -> int:  # type: ignore[no-untyped-def]
    return flows.start(uow, "new_business", applicant())


def _at_delivery(uow) -> int:  # type: ignore[no-untyped-def]
    case_id = _at_premium(uow)
    flows.complete(uow, case_id, "record_first_premium", PREMIUM)
    return case_id


def _at_receipt(uow) -> int:  # type: ignore[no-untyped-def]
    case_id = _at_delivery(uow)
    flows.complete(uow, case_id, "deliver_policy", DELIVERY)
    return case_id


def _at_correction(uow) -> int:  # type: ignore[no-untyped-def]
    return flows.start(uow, "new_business", applicant(phone="12"))


def _at_assessment(uow) -> int:  # type: ignore[no-untyped-def]
    policy_case = _at_receipt(uow)
    view = flows.complete(uow, policy_case, "record_delivery_confirmation", RECEIPT)
    case_id = flows.start(uow, "claims", {
        **CLAIM, "policy_number": view.data["issuance"]["policy_number"]})
    flows.complete(uow, case_id, "investigate_claim", INVESTIGATION)
    return case_id


@dataclass(frozen=True)
class Task:
    """How to reach a form's task, valid data for it, and the handler behind it (None: the
    rule guards a value no handler refuses outright, such as a sum insured of 0, which
    verification sends back to the clerk)."""

    reach: Callable[..., int]
    element_id: str
    data: dict[str, Any]
    operator: str | None = None
    params: Callable[[dict[str, Any]], dict[str, Any]] = lambda case: {}


TASKS = {
    "nb_first_premium": Task(_at_premium, "record_first_premium", PREMIUM,
                             "payments.record_premium", lambda case: {
                                 "application_number":
                                     case["registration"]["application_number"]}),
    "nb_delivery": Task(_at_delivery, "deliver_policy", DELIVERY,
                        "new_business.record_delivery",
                        lambda case: {"policy_number": case["issuance"]["policy_number"]}),
    "nb_delivery_confirmation": Task(_at_receipt, "record_delivery_confirmation", RECEIPT,
                                     "new_business.confirm_delivery", lambda case: {
                                         "policy_number": case["issuance"]["policy_number"]}),
    "nb_application_correction": Task(_at_correction, "complete_application", applicant()),
    "claim_assessment": Task(_at_assessment, "assess_loss",
                             {"amount_to_pay": "1000.00", "rationale": "Within cover"},
                             "claims.record_assessment",
                             lambda case: {"claim_number": case["claim"]["claim_number"]}),
}
START_FORMS = {"claim_intake", "nb_application"}


def _limit(rule: FormRule, kind: str, case: dict[str, Any]) -> Any:
    if rule.operand == "today":
        return TODAY.date()
    if isinstance(rule.operand, str) and rule.operand.startswith("case."):
        value: Any = case
        for name in rule.operand.split(".")[1:]:
            value = value[name]
        return value
    return date.fromisoformat(str(rule.operand)) if kind == "date" \
        else Decimal(str(rule.operand))


def _across(rule: FormRule, limit: Any) -> str:
    """The value just across the rule's line, as a person would type it."""
    step: Any = timedelta(days=1) if isinstance(limit, date) else Decimal("0.01")
    value = {"more_than": limit, "at_least": limit - step, "at_most": limit + step,
             "less_than": limit, "equals": limit - step}[rule.comparison]
    return value.isoformat() if isinstance(value, date) else str(value)


def _state(uow, case_id: int) -> tuple[Any, ...]:  # type: ignore[no-untyped-def]
    view = flows.show(uow, case_id)
    with uow() as work:
        payments = work.session.scalar(select(func.count()).select_from(Payment))
    return (view.case.status, view.case.version_id, [t.id for t in view.open_tasks],
            len(view.events), len(view.incidents), payments)


def test_every_form_with_rules_is_walked() -> None:
    with_rules = {p.stem for p in FORMS.glob("*.json") if json.loads(p.read_text()).get("x-rules")}
    assert with_rules == set(TASKS) | START_FORMS


@pytest.mark.parametrize("form_key", sorted(TASKS))
def test_what_the_handler_refuses_the_form_refuses_first(insurer, form_key: str) -> None:
    task = TASKS[form_key]
    case_id = task.reach(insurer)
    schema = json.loads((FORMS / f"{form_key}.json").read_text())
    for rule in parse_rules(schema):
        case = flows.show(insurer, case_id).data
        value = _across(rule, _limit(rule, schema["properties"][rule.field]["format"], case))
        data = {**task.data, rule.field: value}
        if task.operator is not None:  # the handler's own check, as a second line
            with insurer() as work, pytest.raises(HandlerError) as failed:
                run(work.session, task.operator, {**data, **task.params(case)})
            assert value in str(failed.value) or "zero" in str(failed.value), failed.value
        before = _state(insurer, case_id)
        with pytest.raises(InvalidInput) as refused:
            flows.complete(insurer, case_id, task.element_id, data)
        assert list(refused.value.field_errors) == [rule.field], (form_key, rule, value)
        assert _state(insurer, case_id) == before  # did not move, no incident, no payment


@pytest.mark.parametrize("amount", ["-50.00", "0.00"])
def test_a_claim_without_a_positive_amount_is_refused_at_intake(insurer, amount: str) -> None:
    with insurer() as work, pytest.raises(HandlerError):  # today's incident, as a second line
        run(work.session, "claims.register_claim",
            {**CLAIM, "policy_number": "POL-000001", "amount_claimed": amount})
    with pytest.raises(InvalidInput) as refused:
        flows.start(insurer, "claims", {**CLAIM, "policy_number": "POL-000001",
                                        "amount_claimed": amount})
    assert refused.value.field_errors == {
        "amount_claimed": ["The amount claimed must be more than zero."]}
    with insurer() as work:
        assert work.session.scalar(select(func.count()).select_from(Case)) == 0


def test_a_first_premium_of_a_cent_is_refused_and_no_policy_is_issued(insurer) -> None:
    case_id = _at_premium(insurer)
    with pytest.raises(InvalidInput) as refused:
        flows.complete(insurer, case_id, "record_first_premium", {**PREMIUM, "amount": "0.01"})
    assert refused.value.field_errors == {"amount": [
        "Must be the premium due, 450.00: a short or over payment is not booked."]}
    view = flows.show(insurer, case_id)
    assert [t.element_id for t in view.open_tasks] == ["record_first_premium"]
    with insurer() as work:
        assert work.session.scalars(select(Policy)).all() == []
        assert work.session.scalars(select(Payment)).all() == []
    view = flows.complete(insurer, case_id, "record_first_premium", PREMIUM)  # the due: on
    assert [t.element_id for t in view.open_tasks] == ["deliver_policy"]


def test_every_error_of_one_post_comes_back_together(insurer) -> None:
    case_id = _at_receipt(insurer)
    with pytest.raises(InvalidInput) as refused:
        flows.complete(insurer, case_id, "record_delivery_confirmation", {
            "receipt_signed_on": "2026-11-24", "signed_by": "  ", "receipt_reference": "",
            "extra": 1})
    assert refused.value.field_errors == {
        "receipt_signed_on": ["Must not be before the policy was delivered (2026-11-25)."],
        "signed_by": ["Must not be blank."],
        "receipt_reference": ["Must be at least 1 characters."],
        "extra": ["This field is not part of the form."],
    }
    case_id = _at_premium(insurer)
    with pytest.raises(InvalidInput) as refused:
        flows.complete(insurer, case_id, "record_first_premium",
                       {"method": "cash", "amount": "-1", "paid_on": "2026-11-26"})
    assert refused.value.field_errors == {
        "method": ["Choose one of: online, bank_transfer, agent_collection, counter."],
        "amount": ["The amount must be more than zero.",
                   "Must be the premium due, 450.00: a short or over payment is not booked."],
        "paid_on": ["Must not be after today (2026-11-25)."],
    }


def _send(uow, name: str, key: str, payload: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    with uow() as work:
        messages.receive_message(work.session, name, key, payload, None, "bank")
        work.commit()


def _received(uow) -> int:  # type: ignore[no-untyped-def]
    with uow() as work:
        return int(work.session.scalar(select(func.count()).select_from(InboundMessage)) or 0)


@pytest.mark.parametrize(("payload", "errors"), [
    ({"amount": "-450.00"}, {"amount": ["The amount must be more than zero."]}),
    ({"amount": "0.01"}, {"amount": [
        "Must be the premium due, 450.00: a short or over payment is not booked."]}),
    ({"paid_on": "2026-11-26"}, {"paid_on": ["Must not be after today (2026-11-25)."]}),
])
def test_a_payment_message_breaking_a_rule_is_refused_and_not_recorded(
        insurer, payload: dict[str, Any], errors: dict[str, list[str]]) -> None:
    case_id = _at_premium(insurer)
    key = flows.show(insurer, case_id).case.business_key
    before = _state(insurer, case_id)
    with pytest.raises(InvalidInput) as refused:
        _send(insurer, "premium_payment_received", key, {
            "method": "online", "amount": "450.00", "paid_on": "2026-11-25", **payload})
    assert refused.value.field_errors == errors
    assert _state(insurer, case_id) == before and _received(insurer) == 0


def test_a_receipt_message_dated_before_delivery_is_refused(insurer) -> None:
    case_id = _at_receipt(insurer)
    key = flows.show(insurer, case_id).data["issuance"]["policy_number"]
    before = _state(insurer, case_id)
    with pytest.raises(InvalidInput) as refused:
        _send(insurer, "signed_delivery_receipt_received", key,
              {**RECEIPT, "receipt_signed_on": "2026-11-24"})
    assert refused.value.field_errors == {
        "receipt_signed_on": ["Must not be before the policy was delivered (2026-11-25)."]}
    assert _state(insurer, case_id) == before and _received(insurer) == 0
    _send(insurer, "signed_delivery_receipt_received", key, RECEIPT)  # the right date: on
    assert flows.show(insurer, case_id).case.status == "completed"
