"""A quick yes for valid form data, with jsonschema's own keyword checks.

jsonschema builds a new validator object for every property it descends into, which makes
checking a twenty-field form cost more than the rest of a task completion's service work.
Most form fields are flat: a type, an enum, a length, a pattern, a format, a bound. For
those, `FormCheck` calls jsonschema's own keyword functions on the value directly; everything
else (required, additionalProperties, if/then, nested schemas) is checked by a validator of
the schema with those fields' subschemas replaced by `true`. Data valid under both is valid
under the whole schema. Data either finds fault with goes to the full validation, which
alone writes the messages, so a form's errors are exactly what jsonschema reports.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

# Keywords that look at a field's own value only, and the annotations checks ignore.
_FLAT = frozenset({"type", "enum", "const", "minLength", "maxLength", "pattern", "format",
                   "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                   "multipleOf"})
_ANNOTATIONS = frozenset({"title", "description", "default", "examples", "readOnly",
                          "writeOnly", "deprecated", "$comment"})
# Keywords whose meaning depends on other subschemas: a schema using them is always checked
# whole.
_CONTEXTUAL = ("$ref", "$dynamicRef", "unevaluatedProperties", "unevaluatedItems",
               "$anchor", "$dynamicAnchor", "$id")
_Keyword = Callable[[Any, Any, Any, dict[str, Any]], Iterable[Any]]


class FormCheck:
    """One schema, split into flat field checks and a validator for the rest."""

    def __init__(self, schema: dict[str, Any], format_checker: FormatChecker) -> None:
        self.schema = schema  # held here only: never handed to a caller that could change it
        self.fields: dict[str, list[tuple[_Keyword, Any, dict[str, Any]]]] = {}
        rest = dict(schema)
        properties = schema.get("properties")
        if isinstance(properties, dict) and not _mentions(schema, _CONTEXTUAL):
            kept = {}
            for name, subschema in properties.items():
                checks = _flat_checks(subschema)
                if checks is None:
                    kept[name] = subschema
                else:
                    self.fields[name] = checks
                    kept[name] = True
            rest["properties"] = kept
        self.rest = Draft202012Validator(rest, format_checker=format_checker)

    def passes(self, data: dict[str, Any]) -> bool:
        """True only if the data is valid under the whole schema; False means: ask it."""
        validator = self.rest
        for name, checks in self.fields.items():
            if name not in data:
                continue
            value = data[name]
            for keyword, argument, subschema in checks:
                for _ in keyword(validator, argument, value, subschema):
                    return False
        return bool(validator.is_valid(data))


def _flat_checks(subschema: Any) -> list[tuple[_Keyword, Any, dict[str, Any]]] | None:
    """jsonschema's own function for each keyword of a flat field subschema, or None if the
    subschema has anything else (a nested schema, an unknown keyword)."""
    if not isinstance(subschema, dict):
        return None
    checks = []
    for keyword, argument in subschema.items():
        if keyword in _FLAT:
            checks.append((Draft202012Validator.VALIDATORS[keyword], argument, subschema))
        elif keyword not in _ANNOTATIONS and not keyword.startswith("x-"):
            return None
    return checks


def _mentions(value: Any, keywords: tuple[str, ...]) -> bool:
    if isinstance(value, dict):
        return any(key in keywords for key in value) or any(
            _mentions(item, keywords) for item in value.values())
    if isinstance(value, list):
        return any(_mentions(item, keywords) for item in value)
    return False


@lru_cache(maxsize=256)
def check_for(text: str, format_checker: FormatChecker) -> FormCheck:
    """The check of a form file's text, built once per text (files of a deployed version
    never change)."""
    return FormCheck(json.loads(text), format_checker)
