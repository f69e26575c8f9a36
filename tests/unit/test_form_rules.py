"""x-rules (services.form_rules): how rules are written, judged, and joined with the schema's
errors in one round; every rule of every shipped form and message refuses the value just
across its line and accepts the value on it."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from services.errors import InvalidInput
from services.form_rules import COMPARISONS, FormRule, RuleError, parse_rules
from services.forms import validate_form
from services.processes import form_rule_problems
from tests.support import applicants
from tests.support.clock import SUITE_START

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted([*ROOT.glob("forms/*.json"), *ROOT.glob("messages/*.json")])
TODAY = SUITE_START.date()
MONEY = {"type": "string", "format": "money"}
DAY = {"type": "string", "format": "date"}
# Valid data for every shipped form and message that has rules (the walk checks it is).
VALID: dict[str, dict[str, Any]] = {
    "claim_intake": {"policy_number": "POL-000001", "loss_date": "2026-11-20",
                     "cause": "accident", "description": "Fell", "amount_claimed": "1200.00"},
    "claim_assessment": {"amount_to_pay": "1000.00", "rationale": "Within cover"},
    "nb_application": applicants.HEALTHY,
    "nb_application_correction": applicants.HEALTHY,
    "nb_first_premium": applicants.PREMIUM,
    "nb_delivery": applicants.DELIVERY,
    "nb_delivery_confirmation": applicants.RECEIPT,
    "premium_payment_received": {"method": "online", "amount": "450.00",
                                 "paid_on": "2026-11-25"},
    "signed_delivery_receipt_received": applicants.RECEIPT,
}


def _schema(*rules: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties or {"amount": MONEY, "paid": MONEY,
                                                           "on": DAY}, "x-rules": list(rules)}


def test_rules_join_the_schema_errors_in_one_round() -> None:
    schema = _schema({"field": "amount", "more_than": 0},
                     {"field": "paid", "at_most": "case.claim.amount_claimed",
                      "message": "Must be at most the amount claimed ({limit})."},
                     {"field": "on", "at_least": "case.issued_on"})
    schema["required"] = ["amount", "paid", "on", "note"]
    schema["properties"]["note"] = {"type": "string", "minLength": 1}
    case = {"claim": {"amount_claimed": Decimal("100.00")}, "issued_on": date(2026, 11, 20)}
    with pytest.raises(InvalidInput) as refused:
        validate_form(schema, {"amount": "-5", "paid": "100.01", "on": "2026-11-19",
                               "note": "   "}, case_data=case)
    assert refused.value.field_errors == {
        "amount": ["Must be more than 0."],
        "paid": ["Must be at most the amount claimed (100.00)."],
        "on": ["Must be at least 2026-11-20."],
        "note": ["Must not be blank."],
    }


def test_a_field_the_schema_faults_gets_only_the_schema_error() -> None:
    schema = _schema({"field": "amount", "more_than": 0})
    with pytest.raises(InvalidInput) as refused:
        validate_form(schema, {"amount": "-5.001", "paid": "x"})
    assert refused.value.field_errors == {"amount": ["Enter an amount such as 1250.00."],
                                          "paid": ["Enter an amount such as 1250.00."]}


def test_a_rule_is_not_judged_without_what_it_compares_with() -> None:
    schema = _schema({"field": "paid", "at_most": "form.amount"},
                     {"field": "paid", "equals": "case.verification.premium_due"})
    # No case (a start form, a message before its case is found), a blank other field.
    assert validate_form(schema, {"paid": "7.00"})["paid"] == Decimal("7.00")
    assert validate_form(schema, {"paid": "7.00"}, case_data={})["paid"] == Decimal("7.00")
    with pytest.raises(InvalidInput) as refused:
        validate_form(schema, {"paid": "7.00", "amount": "6.99"},
                      case_data={"verification": {"premium_due": "7.00"}})
    assert refused.value.field_errors == {"paid": ["Must be at most 6.99."]}


def test_today_is_the_engine_clock() -> None:
    schema = _schema({"field": "on", "at_most": "today", "message": "Not after {limit}."})
    assert validate_form(schema, {"on": TODAY.isoformat()})["on"] == TODAY
    with pytest.raises(InvalidInput) as refused:
        validate_form(schema, {"on": (TODAY + timedelta(days=1)).isoformat()})
    assert refused.value.field_errors == {"on": [f"Not after {TODAY.isoformat()}."]}


@pytest.mark.parametrize(("rule", "sentence"), [
    ({"field": "nope", "more_than": 0}, "must name a money, date or number field"),
    ({"field": "amount"}, "needs exactly one of"),
    ({"field": "amount", "more_than": 0, "at_most": 5}, "needs exactly one of"),
    ({"field": "amount", "more_than": "zero"}, "'zero' is not a money"),
    ({"field": "amount", "more_than": True}, "compare with a number"),
    ({"field": "on", "more_than": 0}, "0 is not a date"),
    ({"field": "amount", "at_most": "today"}, "only a date field"),
    ({"field": "amount", "at_most": "form.on"}, "form.on is not a field of the same kind"),
    ({"field": "amount", "more_than": 0, "message": "Over {what}"}, "the message must be"),
    ({"field": "amount", "more_than": 0, "colour": "red"}, "may only have the keys"),
])
def test_a_wrongly_written_rule_is_named(rule: dict[str, Any], sentence: str) -> None:
    with pytest.raises(RuleError) as error:
        parse_rules(_schema(rule))
    assert sentence in str(error.value) and "rule 1 of x-rules" in str(error.value)
    problems = form_rule_problems({"forms/f.json": json.dumps(_schema(rule))})
    assert len(problems) == 1 and problems[0].startswith("forms/f.json: rule 1")


def _across(rule: FormRule, limit: Any) -> tuple[Any, Any]:
    """A value on the rule's line (allowed) and one just across it (refused)."""
    step: Any = timedelta(days=1) if isinstance(limit, date) else Decimal("0.01")
    allowed = limit + step if rule.comparison == "more_than" else limit
    across = {"more_than": limit, "at_least": limit - step, "at_most": limit + step,
              "less_than": limit, "equals": limit - step}[rule.comparison]
    return allowed, across


def _case_and_limit(rule: FormRule, kind: str) -> tuple[dict[str, Any], Any]:
    limit: Any = TODAY - timedelta(days=3) if kind == "date" else Decimal("450.00")
    if rule.operand == "today":
        return {}, TODAY
    if isinstance(rule.operand, str) and rule.operand.startswith("case."):
        case: dict[str, Any] = {}
        *parents, last = rule.operand.split(".")[1:]
        node = case
        for name in parents:
            node = node.setdefault(name, {})
        node[last] = limit
        return case, limit
    return {}, Decimal(str(rule.operand))


def _shown(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


@pytest.mark.parametrize("path", [p for p in SHIPPED if "x-rules" in p.read_text()],
                         ids=lambda p: p.stem)
def test_every_shipped_rule_refuses_the_value_across_its_line(path: Path) -> None:
    """What the handler behind the form would refuse (an incident) the form refuses first."""
    schema = json.loads(path.read_text())
    rules = parse_rules(schema)
    assert rules and path.stem in VALID, f"give {path.stem} valid data in VALID"
    for rule in rules:
        kind = schema["properties"][rule.field]["format"]
        case, limit = _case_and_limit(rule, kind)
        allowed, across = _across(rule, limit)
        data = {**VALID[path.stem], rule.field: _shown(allowed)}
        assert validate_form(schema, data, case_data=case)[rule.field] == allowed
        with pytest.raises(InvalidInput) as refused:
            validate_form(schema, {**data, rule.field: _shown(across)}, case_data=case)
        expected = (rule.message or "Must be {words} {limit}.").format(
            limit=_shown(limit), value=across, words=COMPARISONS[rule.comparison][1])
        assert refused.value.field_errors == {rule.field: [expected]}


def test_every_shipped_form_and_message_has_rules_written_rightly() -> None:
    files = {f"forms/{p.name}": p.read_text() for p in SHIPPED}
    assert form_rule_problems(files) == []
