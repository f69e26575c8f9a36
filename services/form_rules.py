"""Rules a form or message schema declares beside its JSON Schema (`"x-rules"`).

JSON Schema checks one value at a time and knows neither today nor the case. The rules the
handlers enforce (an assessment at most the amount claimed, a delivery date between the
issue date and today, the first premium equal to the premium due) compare a field with a
number, today, another field or a value of the case data. Each rule is one such comparison,
written where the analyst reads the form, and checked in the same round as the schema so a
person gets every error at once and a case never stops at an incident for input the form
could have refused. docs/authoring.md describes the notation.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

COMPARISONS: dict[str, tuple[Callable[[Any, Any], bool], str]] = {
    "more_than": (operator.gt, "more than"),
    "at_least": (operator.ge, "at least"),
    "at_most": (operator.le, "at most"),
    "less_than": (operator.lt, "less than"),
    "equals": (operator.eq, "exactly"),
}
RULE_KEYS = frozenset({"field", "message", *COMPARISONS})
TODAY, FORM_PREFIX, CASE_PREFIX = "today", "form.", "case."


class RuleError(ValueError):
    """A rule the form file spells wrongly; the sentence names the rule."""


@dataclass(frozen=True)
class FormRule:
    """`field` compared (`comparison`) with `operand`: a literal, "today", "form.<field>" or
    "case.<path>"; `message` replaces the standard sentence ({limit} and {value} filled in)."""

    field: str
    comparison: str
    operand: str | int | float
    message: str | None

    @property
    def needs_case(self) -> bool:
        return isinstance(self.operand, str) and self.operand.startswith(CASE_PREFIX)


def parse_rules(schema: Mapping[str, Any]) -> list[FormRule]:
    """The schema's rules, or RuleError naming the first one that is wrongly written."""
    written = schema.get("x-rules", [])
    if not isinstance(written, list):
        raise RuleError('"x-rules" must be a list of rules')
    properties = schema.get("properties", {})
    return [_parse_rule(number, item, properties) for number, item in enumerate(written, 1)]


def _parse_rule(number: int, item: Any, properties: Mapping[str, Any]) -> FormRule:
    where = f"rule {number} of x-rules"
    if not isinstance(item, dict) or set(item) - RULE_KEYS:
        raise RuleError(f"{where} may only have the keys {', '.join(sorted(RULE_KEYS))}")
    field, message = item.get("field"), item.get("message")
    comparisons = [key for key in COMPARISONS if key in item]
    if not isinstance(field, str) or _kind(properties.get(field)) is None:
        raise RuleError(f"{where} must name a money, date or number field of the form")
    if len(comparisons) != 1:
        raise RuleError(f"{where} needs exactly one of {', '.join(COMPARISONS)}")
    if message is not None and not _formats(message):
        raise RuleError(f"{where}: the message must be text using only {{limit}} and {{value}}")
    operand = item[comparisons[0]]
    _check_operand(where, operand, properties, _kind(properties[field]))
    return FormRule(field, comparisons[0], operand, message)


def _formats(message: Any) -> bool:
    try:
        return isinstance(message, str) and bool(message.format(limit="", value="", words=""))
    except (KeyError, IndexError, ValueError):
        return False


def _check_operand(where: str, operand: Any, properties: Mapping[str, Any],
                   kind: str | None) -> None:
    if isinstance(operand, bool) or not isinstance(operand, str | int | float):
        raise RuleError(f"{where}: compare with a number, a date, \"today\", "
                        "\"form.<field>\" or \"case.<path>\"")
    if operand == TODAY and kind != "date":
        raise RuleError(f"{where}: only a date field can be compared with today")
    if operand == TODAY or (isinstance(operand, str) and operand.startswith(CASE_PREFIX)):
        return
    if isinstance(operand, str) and operand.startswith(FORM_PREFIX):
        if _kind(properties.get(operand[len(FORM_PREFIX):])) != kind:
            raise RuleError(f"{where}: {operand} is not a field of the same kind")
        return
    if _as_kind(operand if isinstance(operand, str) else str(operand), kind) is None:
        raise RuleError(f"{where}: {operand!r} is not a {kind}")


def _kind(prop: Any) -> str | None:
    """The kind of value a field holds once typed: money, date or number (None: no rule)."""
    if not isinstance(prop, dict):
        return None
    if prop.get("format") in ("money", "date"):
        return str(prop["format"])
    return "number" if prop.get("type") in ("number", "integer") else None


def _as_kind(value: Any, kind: str | None) -> Any:
    """A value of case data, another field or the rule as the field's kind, or None."""
    try:
        if kind == "date":
            if isinstance(value, datetime):
                return value.date()
            return value if isinstance(value, date) else date.fromisoformat(str(value))
        if isinstance(value, bool) or value is None or value == "":
            return None
        number = Decimal(str(value))
        return number if number.is_finite() else None
    except (ValueError, InvalidOperation):
        return None


def broken_rules(schema: Mapping[str, Any], typed: Mapping[str, Any],
                 case_data: Mapping[str, Any] | None, today: date, *,
                 skip: frozenset[str] = frozenset(), only_case: bool = False,
                 ) -> dict[str, list[str]]:
    """Each field's sentences for the rules its value breaks.

    A rule is not judged when its field is absent or in `skip` (fields the schema already
    faults), or when what it compares with is missing: a blank optional field, or case data
    without that value (no case: a start form, a message before its case is found).
    `only_case`: judge just the rules that read case data (a message, once its case is known).
    """
    properties = schema.get("properties", {})
    errors: dict[str, list[str]] = {}
    for rule in parse_rules(schema):
        if rule.field in skip or (only_case and not rule.needs_case):
            continue
        kind = _kind(properties.get(rule.field))
        value = _as_kind(typed.get(rule.field), kind)
        limit = _operand_value(rule, typed, case_data, today, kind)
        if value is None or limit is None:
            continue
        compare, words = COMPARISONS[rule.comparison]
        if not compare(value, limit):
            shown = limit.isoformat() if isinstance(limit, date) else str(limit)
            message = (rule.message or "Must be {words} {limit}.").format(
                words=words, limit=shown, value=value)
            errors.setdefault(rule.field, []).append(message)
    return errors


def _operand_value(rule: FormRule, typed: Mapping[str, Any],
                   case_data: Mapping[str, Any] | None, today: date, kind: str | None) -> Any:
    operand = rule.operand
    if operand == TODAY:
        return today
    if isinstance(operand, str) and operand.startswith(FORM_PREFIX):
        return _as_kind(typed.get(operand[len(FORM_PREFIX):]), kind)
    if isinstance(operand, str) and operand.startswith(CASE_PREFIX):
        return None if case_data is None else _as_kind(
            _case_value(case_data, operand[len(CASE_PREFIX):]), kind)
    return _as_kind(operand, kind)


def _case_value(case_data: Mapping[str, Any], path: str) -> Any:
    """`claim.amount_claimed` is case_data["claim"]["amount_claimed"]; None if absent."""
    value: Any = case_data
    for step in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(step)
    return value
