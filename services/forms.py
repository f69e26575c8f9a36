"""Server-side form validation: every field error at once, then money and dates typed."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from engine.clock import current_time

from .errors import InvalidInput
from .form_check import FormCheck, check_for
from .form_rules import broken_rules

MONEY_PATTERN = re.compile(r"^-?\d{1,12}(\.\d{1,2})?$")
FORMATS = FormatChecker()


@FORMATS.checks("money")
def _is_money(value: object) -> bool:
    return not isinstance(value, str) or bool(MONEY_PATTERN.match(value))


@FORMATS.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    if isinstance(value, str):
        date.fromisoformat(value) if re.match(r"^\d{4}-\d{2}-\d{2}$", value) else _bad_date()
    return True


def _bad_date() -> None:
    raise ValueError("not a date")


def load_schema(text: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(text)
    return schema


def _field_kinds(schema: dict[str, Any]) -> dict[str, str]:
    kinds = {}
    for name, prop in schema.get("properties", {}).items():
        if prop.get("format") in ("money", "date"):
            kinds[name] = prop["format"]
    return kinds


def _pre_coerce(data: dict[str, Any], kinds: dict[str, str]) -> dict[str, Any]:
    """Accept 1250 or Decimal for money and date objects for dates from API callers."""
    prepared = dict(data)
    for name, kind in kinds.items():
        value = prepared.get(name)
        if kind == "money" and isinstance(value, int | float | Decimal) and \
                not isinstance(value, bool):
            prepared[name] = _money_text(value)
        elif kind == "date" and isinstance(value, date):
            prepared[name] = value.isoformat()
    return prepared


def _money_text(value: int | float | Decimal) -> str:
    try:
        return format(Decimal(str(value)).normalize(), "f")
    except InvalidOperation:
        return str(value)


def validate_form_text(text: str, data: Any,
                       case_data: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """`validate_form` for a form file's text, with its quick check built once per text."""
    check = check_for(text, FORMATS)
    return validate_form(check.schema, data, check, case_data)


def validate_form(schema: dict[str, Any], data: Any, check: FormCheck | None = None,
                  case_data: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Validated and typed data, or InvalidInput naming every bad field.

    `check`: the schema's quick check (services.form_check); data it passes is valid, and
    anything else gets the full validation, which writes the messages. The form's
    `x-notAfter` and `x-rules` (services.form_rules, against `case_data` when given) are
    judged on the fields the schema accepts, and their errors join the schema's: one round."""
    if not isinstance(data, dict):
        raise InvalidInput("the form data must be a JSON object")
    kinds = _field_kinds(schema)
    prepared = _pre_coerce(data, kinds)
    errors = {} if check is not None and check.passes(prepared) else \
        _field_errors(schema, prepared)
    typed = _typed({k: v for k, v in prepared.items() if k not in errors}, kinds)
    today = current_time().date()
    _merge(errors, _dates_after_today(schema, typed, today))
    _merge(errors, _blank_texts(schema, typed))
    _merge(errors, broken_rules(schema, typed, case_data, today, skip=frozenset(errors)))
    if errors:
        raise InvalidInput("some fields need attention", errors)
    # Absent optional fields exist as None, so conditions and parameters can read them.
    return {name: typed.get(name) for name in schema.get("properties", {})} | typed


def check_case_rules(schema: dict[str, Any], typed: dict[str, Any],
                     case_data: Mapping[str, Any]) -> None:
    """InvalidInput if data `validate_form` accepted without its case breaks a rule that
    reads the case (a message, whose case is found after its payload is checked)."""
    errors = broken_rules(schema, typed, case_data, current_time().date(), only_case=True)
    if errors:
        raise InvalidInput("some fields need attention", errors)


def _merge(errors: dict[str, list[str]], more: dict[str, list[str]]) -> None:
    for field, messages in more.items():
        known = errors.setdefault(field, [])
        known.extend(message for message in messages if message not in known)


def _field_errors(schema: dict[str, Any], prepared: dict[str, Any]) -> dict[str, list[str]]:
    """Every field's errors the schema finds (none: an empty dict)."""
    validator = Draft202012Validator(schema, format_checker=FORMATS)
    errors: dict[str, list[str]] = {}
    for error in validator.iter_errors(prepared):
        for field, message in _describe(error, schema):
            # jsonschema raises one "required" error per missing field, and each names the
            # whole list, so the same sentence arrives once per missing field.
            messages = errors.setdefault(field, [])
            if message not in messages:
                messages.append(message)
    return errors


def _typed(data: dict[str, Any], kinds: dict[str, str]) -> dict[str, Any]:
    typed = dict(data)
    for name, kind in kinds.items():
        value = typed.get(name)
        if isinstance(value, str) and value != "":
            typed[name] = (Decimal(value).quantize(Decimal("0.01")) if kind == "money"
                           else date.fromisoformat(value))
    return typed


def _dates_after_today(schema: dict[str, Any], typed: dict[str, Any],
                       today: date) -> dict[str, list[str]]:
    """`"x-notAfter": "today"` on a date field: a payment or signature cannot be tomorrow's."""
    return {name: [f"Must not be after today ({today.isoformat()})."]
            for name, prop in schema.get("properties", {}).items()
            if prop.get("x-notAfter") == "today" and isinstance(typed.get(name), date)
            and typed[name] > today}


def _blank_texts(schema: dict[str, Any], typed: dict[str, Any]) -> dict[str, list[str]]:
    """A text that must carry content (`minLength` >= 1, also in `then`) is not only spaces:
    the handlers store texts trimmed and refuse an empty reason, name or rationale."""
    content = {name for part in (schema, schema.get("then") or {})
               for name, prop in (part.get("properties") or {}).items()
               if isinstance(prop, dict) and prop.get("minLength", 0) >= 1}
    return {name: ["Must not be blank."] for name in content
            if isinstance(typed.get(name), str) and typed[name] and not typed[name].strip()}


def _describe(error: ValidationError, schema: dict[str, Any]) -> list[tuple[str, str]]:
    field = str(error.absolute_path[0]) if error.absolute_path else ""
    if error.validator == "required":
        present = error.instance if isinstance(error.instance, dict) else {}
        missing = [name for name in error.validator_value if name not in present]
        return [(name, "This field is required.") for name in missing]
    if error.validator == "additionalProperties":
        allowed = set(schema.get("properties", {}))
        extra = [k for k in error.instance if k not in allowed]
        return [(name, "This field is not part of the form.") for name in extra]
    return [(field or "_form", _message(error))]


def _message(error: ValidationError) -> str:
    value = error.validator_value
    messages = {
        "enum": lambda: "Choose one of: " + ", ".join(str(v) for v in value) + ".",
        "const": lambda: f"Must be {json.dumps(value)}.",
        "type": lambda: f"Must be {_type_name(value)}.",
        "minimum": lambda: f"Must be at least {value}.",
        "maximum": lambda: f"Must be at most {value}.",
        "exclusiveMinimum": lambda: f"Must be more than {value}.",
        "minLength": lambda: f"Must be at least {value} characters.",
        "maxLength": lambda: f"Must be at most {value} characters.",
        "pattern": lambda: "Has the wrong format.",
        "format": lambda: {"money": "Enter an amount such as 1250.00.",
                           "date": "Enter a date as YYYY-MM-DD.",
                           "email": "Enter an e-mail address."}.get(value, error.message),
        "uniqueItems": lambda: "Each choice may be picked once.",
    }
    return messages.get(str(error.validator), lambda: error.message)()


def _type_name(value: Any) -> str:
    names = {"string": "text", "integer": "a whole number", "number": "a number",
             "boolean": "yes or no", "array": "a list", "object": "an object"}
    if isinstance(value, list):
        return " or ".join(names.get(str(v), str(v)) for v in value)
    return names.get(value, str(value))
