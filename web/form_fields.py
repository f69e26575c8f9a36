"""JSON Schema forms (forms/*.json) as HTML fields, and posted HTML forms back to form data.

Pure functions, no Flask request: the task pages call `build_fields` to render a form (again
with the user's own text and the errors from `services.forms.validate_form`) and
`parse_form_post` to turn `request.form` into the data `validate_form` checks. The browser
gets hints (required, min, max, maxlength...) for quick feedback; the server decides.
Hints read from the schema: `x-order`, `x-groups`, `x-widget`, `x-labels` (docs/authoring.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from werkzeug.datastructures import MultiDict

from engine.clock import current_time

from .form_schema import (
    accepts_empty,
    all_values,
    as_text,
    field_kind,
    is_ticked,
    money_text,
)

# The same amounts services.forms accepts: up to 12 digits and at most two decimals.
MONEY_HTML_PATTERN = r"-?\d{1,12}(\.\d{1,2})?"
HTML_TYPES = {"text": "text", "money": "text", "integer": "number", "number": "number",
              "date": "date", "email": "email", "tel": "tel"}

FormInput = Mapping[str, str] | MultiDict[str, str]
Errors = Mapping[str, str | Sequence[str]]


@dataclass(frozen=True)
class Field:
    """One input as the template needs it; `value` is exactly what to show back."""

    name: str
    label: str
    kind: str  # text textarea email tel integer number money date select radio checkbox checkboxes
    required: bool
    help: str | None = None
    options: tuple[tuple[str, str], ...] = ()
    value: str = ""
    selected: tuple[str, ...] = ()  # chosen option values; ("true",) for a ticked checkbox
    error: str | None = None
    attrs: Mapping[str, str] = field(default_factory=dict)

    @property
    def input_id(self) -> str:
        return f"field-{self.name}"

    @property
    def help_id(self) -> str:
        return f"{self.input_id}-help"

    @property
    def error_id(self) -> str:
        return f"{self.input_id}-error"

    @property
    def described_by(self) -> str:
        ids = [self.help_id] if self.help else []
        return " ".join(ids + ([self.error_id] if self.error else []))

    @property
    def input_type(self) -> str:
        return HTML_TYPES.get(self.kind, "text")


@dataclass(frozen=True)
class FieldGroup:
    """Fields shown together; a title makes the group a fieldset with that legend."""

    title: str | None
    fields: list[Field]


def build_fields(schema: Mapping[str, Any], values: Mapping[str, Any] | None = None,
                 errors: Errors | None = None) -> list[FieldGroup]:
    """The form's fields in `x-order`, grouped by `x-groups`, showing values and errors."""
    values, errors = values or {}, errors or {}
    properties: Mapping[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    groups = []
    for title, names in _layout(schema):
        fields = [_field(name, properties[name], name in required, values, errors)
                  for name in names]
        groups.append(FieldGroup(title, fields))
    return groups


def other_errors(schema: Mapping[str, Any], errors: Errors | None) -> list[str]:
    """Errors that belong to no field (e.g. `_form`), to show above the form."""
    properties = schema.get("properties", {})
    found = (_joined(message) for name, message in (errors or {}).items()
             if name not in properties)
    return [message for message in found if message]


def _layout(schema: Mapping[str, Any]) -> list[tuple[str | None, list[str]]]:
    """Groups in the order their first field appears in x-order; loose fields between them."""
    properties = schema.get("properties", {})
    order = [n for n in schema.get("x-order", []) if n in properties]
    order += [n for n in properties if n not in order]
    declared = schema.get("x-groups", [])
    group_of = {name: index for index, group in enumerate(declared) for name in group["fields"]}
    layout: list[tuple[str | None, list[str]]] = []
    placed: set[int] = set()
    loose_run = False  # True while the last entry is a run of ungrouped fields
    for name in order:
        index = group_of.get(name)
        if index is None:
            if not loose_run:
                layout.append((None, []))
            layout[-1][1].append(name)
            loose_run = True
        elif index not in placed:
            placed.add(index)
            loose_run = False
            title = declared[index].get("title")
            layout.append((title, [n for n in order if group_of.get(n) == index]))
    return layout


def _field(name: str, prop: Mapping[str, Any], listed_required: bool,
           values: Mapping[str, Any], errors: Errors) -> Field:
    kind = field_kind(prop)
    value, selected = _shown(kind, name, prop, values)
    return Field(name=name, label=str(prop.get("title") or name.replace("_", " ").capitalize()),
                 kind=kind, required=_browser_required(kind, prop, listed_required),
                 help=prop.get("description"), options=_options(kind, prop), value=value,
                 selected=selected, error=_joined(errors.get(name)), attrs=_attrs(kind, prop))


def _browser_required(kind: str, prop: Mapping[str, Any], listed_required: bool) -> bool:
    """Required for the person filling in: a checkbox only when it must be ticked, a text
    field only when the schema refuses an empty answer (a required phone may be "")."""
    if kind == "checkbox":
        return prop.get("const") is True
    if kind == "checkboxes":
        return bool(prop.get("minItems"))
    return listed_required and not accepts_empty(prop)


def _options(kind: str, prop: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    labels = prop.get("x-labels", {})
    if kind in ("checkbox", "radio") and prop.get("type") == "boolean":
        return () if kind == "checkbox" else (
            ("true", labels.get("true", "Yes")), ("false", labels.get("false", "No")))
    choices = prop.get("items", {}).get("enum", []) if kind == "checkboxes" else \
        prop.get("enum", [])
    return tuple((as_text(v), str(labels.get(as_text(v), as_text(v)))) for v in choices)


def _shown(kind: str, name: str, prop: Mapping[str, Any],
           values: Mapping[str, Any]) -> tuple[str, tuple[str, ...]]:
    """What the input shows: the posted text as typed, or a typed value written back."""
    if kind == "checkboxes":
        chosen = all_values(values, name) if name in values else prop.get("default", [])
        return "", tuple(as_text(v) for v in chosen or [])
    raw = values.get(name, prop.get("default"))
    text = money_text(raw) if kind == "money" else as_text(raw)
    if kind == "checkbox":
        return text, ("true",) if is_ticked(text) else ()
    return text, (text,) if text and kind in ("select", "radio") else ()


def _attrs(kind: str, prop: Mapping[str, Any]) -> dict[str, str]:
    attrs: dict[str, str] = {}
    if kind in ("integer", "number"):
        attrs["step"] = "1" if kind == "integer" else "any"
        attrs["inputmode"] = "numeric" if kind == "integer" else "decimal"
        for key in ("minimum", "maximum"):
            if key in prop:
                attrs[key[:3]] = as_text(prop[key])
    elif kind == "date" and prop.get("x-notAfter") == "today":
        attrs["max"] = current_time().date().isoformat()  # the date picker offers no future
    elif kind == "money":
        # A text input: a number input would drop what the user typed and change on scroll.
        attrs.update(inputmode="decimal", pattern=MONEY_HTML_PATTERN, autocomplete="off")
    elif kind in ("text", "textarea", "email", "tel"):
        attrs.update(_text_attrs(kind, prop))
    return attrs


def _text_attrs(kind: str, prop: Mapping[str, Any]) -> dict[str, str]:
    attrs: dict[str, str] = {}
    if "maxLength" in prop:
        attrs["maxlength"] = str(prop["maxLength"])
    if prop.get("minLength", 0) > 1:
        attrs["minlength"] = str(prop["minLength"])
    pattern = prop.get("pattern", "")
    if kind != "textarea" and pattern.startswith("^") and pattern.endswith("$"):
        attrs["pattern"] = pattern  # browsers anchor patterns; only pass anchored ones
    if kind == "textarea":
        attrs["rows"] = "5" if prop.get("maxLength", 0) > 1000 else "3"
    return attrs


def parse_form_post(schema: Mapping[str, Any], form: FormInput) -> dict[str, Any]:
    """A posted HTML form as the raw data `validate_form` expects.

    Blank inputs are left out (sent as "" only when a required field accepts ""),
    checkboxes become booleans (unticked is False),
    numbers and choices get their JSON type when they parse and stay text otherwise, so
    the validator reports them. Keys that are not fields (csrf_token...) are ignored.
    """
    data: dict[str, Any] = {}
    required = set(schema.get("required", []))
    for name, prop in schema.get("properties", {}).items():
        kind = field_kind(prop)
        if kind == "checkbox":
            data[name] = is_ticked(form.get(name))
        elif kind == "checkboxes":
            data[name] = [_choice(prop.get("items", {}), v)
                          for v in all_values(form, name) if v.strip()]
        else:
            raw = _clean(kind, form.get(name))
            if raw:
                data[name] = _parsed(kind, prop, raw)
            elif raw == "" and name in required and accepts_empty(prop):
                data[name] = ""
    return data


# ASCII digits, and few enough for int(): past 4300 digits it raises instead of parsing. A
# longer number stays text, which the form's schema then refuses as not an integer.
WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,100}")


def _parsed(kind: str, prop: Mapping[str, Any], raw: str) -> Any:
    if kind == "integer" and WHOLE_NUMBER.fullmatch(raw):
        return int(raw)
    if kind == "number":
        return _number(raw)
    if prop.get("type") == "boolean":
        return {"true": True, "false": False}.get(raw, raw)
    return _choice(prop, raw) if "enum" in prop else raw


def _number(raw: str) -> Any:
    """An int, or a Decimal (exact, like money); the text itself when it is no number."""
    if WHOLE_NUMBER.fullmatch(raw):
        return int(raw)
    try:
        number = Decimal(raw)
    except InvalidOperation:
        return raw
    return number if number.is_finite() else raw


def _choice(prop: Mapping[str, Any], raw: str) -> Any:
    """The enum value whose text was posted (so integer enums come back as integers)."""
    return next((v for v in prop.get("enum", []) if as_text(v) == raw), raw)


def _clean(kind: str, raw: str | None) -> str | None:
    """Trim single-line inputs; keep a textarea's text but with the browser's CRLF as LF."""
    if raw is None:
        return None
    if kind == "textarea":
        text = raw.replace("\r\n", "\n")
        return text if text.strip() else ""
    return raw.strip()


def _joined(message: str | Sequence[str] | None) -> str | None:
    """validate_form gives a list of sentences per field; the page shows them as one."""
    if message is None or isinstance(message, str):
        return message or None
    return " ".join(str(m) for m in message) or None
