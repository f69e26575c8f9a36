"""Reading a form schema's fields: their kind, whether "" is an answer, values as text.

Shared by building fields (web/form_fields.build_fields) and parsing a post, so both
agree on what each field is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from werkzeug.datastructures import MultiDict

# x-widget values understood here; anything else falls back to the type's default input.
WIDGETS = ("textarea", "radio", "select", "email", "tel")


def field_kind(prop: Mapping[str, Any]) -> str:
    """text textarea email tel integer number money date select radio checkbox checkboxes."""
    widget, json_type = prop.get("x-widget"), prop.get("type")
    if json_type == "array":
        return "checkboxes"
    if json_type == "boolean":
        return "radio" if widget == "radio" else "checkbox"
    if "enum" in prop:
        return widget if widget in ("radio", "select") else "select"
    if json_type in ("integer", "number"):
        return str(json_type)
    if prop.get("format") in ("money", "date", "email"):
        return str(prop["format"])
    return widget if widget in ("textarea", "email", "tel") else "text"


def accepts_empty(prop: Mapping[str, Any]) -> bool:
    """True when "" is a valid answer, so a blank input is sent as "" rather than left out."""
    if prop.get("type") != "string" or prop.get("minLength", 0) > 0 or \
            any(key in prop for key in ("enum", "const", "format")):
        return False
    pattern = prop.get("pattern")
    return pattern is None or re.search(pattern, "") is not None


def all_values(source: Mapping[str, Any], name: str) -> list[str]:
    """Every value under `name`: a posted MultiDict may repeat it, a dict may hold a list."""
    if isinstance(source, MultiDict):
        return [str(v) for v in source.getlist(name)]
    value = source.get(name)
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def is_ticked(value: Any) -> bool:
    """A checkbox posts its value ("true", or "on" without one) only when ticked."""
    if isinstance(value, bool):
        return value
    return value is not None and str(value).strip().lower() not in ("", "false", "0", "off")


def as_text(value: Any) -> str:
    """A value as an input shows and posts it (booleans as the checkbox/radio values)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def money_text(value: Any) -> str:
    """Typed money with its two decimals; text (what the user typed) stays as it is."""
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return format(Decimal(value).quantize(Decimal("0.01")), "f")
    return as_text(value)
