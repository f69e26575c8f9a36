"""services.form_check says yes exactly when jsonschema finds no fault, on every form we ship.

Each form gets a few hundred instances drawn (with a fixed seed) from the values its fields
allow, the example data of the process tests, and wrong values of every kind (types, lengths,
formats, enum members, missing and extra fields)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from services.form_check import FormCheck
from services.forms import FORMATS
from tests.support import applicants

ROOT = Path(__file__).resolve().parents[2]
FORMS = sorted([*ROOT.glob("forms/*.json"), *ROOT.glob("tests/fixtures/forms/*.json")])
EXAMPLES = [value for value in vars(applicants).values() if isinstance(value, dict)] + [
    {"policy_number": "POL-000001", "loss_date": "2026-11-20", "cause": "accident",
     "description": "Fell from a ladder", "amount_claimed": "1200.00"},
    {"cause_confirmed": True, "extent_of_loss": "Hospital stay of 5 days",
     "fraud_indicators": [], "findings": "Consistent with records",
     "recommendation": "continue"},
    {"amount_to_pay": "1000.00", "rationale": "Within cover"},
    {"decision": "approve", "comment": "Fine"},
    {"decision": "accept", "reason": "Standard risk"},
    {"decision": "accept_with_loading", "loading_percent": 25, "reason": "Smoker"},
]
GENERIC = ["", "x", "Mei Lin", "x" * 301, 0, 1, -1, 1.5, 250000, True, False, None,
           "2026-11-25", "2026-13-01", "25/11/2026", "10.00", "10.001", "-5", "abc",
           "mei.lin@example.com", "not an e-mail", [], ["a", "a"], {}, {"a": 1}]


def _pool(name: str, subschema: Any) -> list[Any]:
    values = list(GENERIC)
    if isinstance(subschema, dict):
        values += list(subschema.get("enum", []))
        if "const" in subschema:
            values.append(subschema["const"])
        items = subschema.get("items")
        if isinstance(items, dict) and "enum" in items:
            values += [[items["enum"][0]], list(items["enum"][:2])]
    values += [example[name] for example in EXAMPLES if name in example]
    return values


def _instances(schema: dict[str, Any], count: int, seed: int) -> list[dict[str, Any]]:
    chooser = random.Random(seed)
    properties = schema.get("properties", {})
    pools = {name: _pool(name, sub) for name, sub in properties.items()}
    examples = [e for e in EXAMPLES if set(e) <= set(properties)] or [{}]
    made = []
    for _ in range(count):
        data = dict(chooser.choice(examples))
        for name, pool in pools.items():
            roll = chooser.random()
            if roll < 0.03:
                data.pop(name, None)
            elif roll < 0.1 or name not in data:
                data[name] = chooser.choice(pool)
        if chooser.random() < 0.05:
            data["not_a_field"] = "x"
        made.append(data)
    return made


@pytest.mark.parametrize("path", FORMS, ids=lambda path: path.name)
def test_the_quick_check_agrees_with_jsonschema(path: Path) -> None:
    schema = json.loads(path.read_text())
    check = FormCheck(schema, FORMATS)
    whole = Draft202012Validator(schema, format_checker=FORMATS)
    verdicts = []
    for data in _instances(schema, 400, seed=len(path.name)):
        expected = whole.is_valid(data)
        assert check.passes(data) == expected, (path.name, data)
        verdicts.append(expected)
    assert True in verdicts and False in verdicts


def test_the_shipped_forms_are_checked_field_by_field() -> None:
    checks = [FormCheck(json.loads(path.read_text()), FORMATS) for path in FORMS]
    assert sum(len(check.fields) for check in checks) > 50
    valid = sum(FormCheck(json.loads((ROOT / "forms" / name).read_text()), FORMATS)
                .passes(data) for name, data in [("nb_application.json", applicants.HEALTHY),
                                                 ("nb_first_premium.json", applicants.PREMIUM),
                                                 ("nb_delivery.json", applicants.DELIVERY)])
    assert valid == 3


def test_a_schema_with_references_is_checked_whole() -> None:
    schema = {"type": "object", "$defs": {"name": {"type": "string", "minLength": 2}},
              "properties": {"name": {"$ref": "#/$defs/name"}, "age": {"type": "integer"}}}
    check = FormCheck(schema, FORMATS)
    assert check.fields == {}
    assert not check.passes({"name": "x", "age": 3}) and check.passes({"name": "xy"})
