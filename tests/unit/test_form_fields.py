"""Form schemas as HTML fields, posted forms back through validate_form, and the macro."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment, FileSystemLoader
from werkzeug.datastructures import MultiDict

from services.errors import InvalidInput
from services.forms import validate_form
from web.form_fields import (
    Field,
    FieldGroup,
    build_fields,
    other_errors,
    parse_form_post,
)
from web.form_schema import WIDGETS

ROOT = Path(__file__).resolve().parents[2]
FORMS = sorted((ROOT / "forms").glob("*.json"))


def _schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((ROOT / "forms" / f"{name}.json").read_text())
    return schema


def _fields(groups: list[FieldGroup]) -> dict[str, Field]:
    return {f.name: f for group in groups for f in group.fields}


APPLICATION = {
    "full_name": "Ada Lovelace", "date_of_birth": "1980-12-10", "id_number": "ID-1",
    "phone": "", "email": "ada@example.org", "address": "1 Analytical St\r\nLondon",
    "product_code": "TERM_LIFE", "sum_insured": "1234.5", "channel": "agent",
    "occupation": "Mathematician", "occupation_class": "office",
    "health_conditions": "none", "consent": "true", "csrf_token": "abc", "unknown": "x",
}


@pytest.mark.parametrize("path", FORMS, ids=[p.stem for p in FORMS])
def test_every_form_builds_in_x_order(path: Path) -> None:
    schema = json.loads(path.read_text())
    groups = build_fields(schema, {}, {})
    names = [f.name for group in groups for f in group.fields]
    assert names == schema["x-order"]
    assert sorted(names) == sorted(schema["properties"])
    for name, prop in schema["properties"].items():
        assert prop.get("x-widget") in (None, *WIDGETS), name
        choices = prop.get("enum") or prop.get("items", {}).get("enum", [])
        assert set(prop.get("x-labels", {})) <= {str(v) for v in choices}, name


def test_there_are_thirteen_forms() -> None:
    assert len(FORMS) == 13


def test_kinds_labels_and_browser_hints() -> None:
    fields = _fields(build_fields(_schema("nb_application")))
    expected = {"full_name": "text", "date_of_birth": "date", "address": "textarea",
                "product_code": "select", "sum_insured": "money", "channel": "radio",
                "smoker": "checkbox"}
    assert {name: fields[name].kind for name in expected} == expected
    assert fields["product_code"].options[-1] == ("ACCIDENT", "Personal accident")
    assert fields["sum_insured"].attrs["inputmode"] == "decimal"
    assert fields["full_name"].attrs["maxlength"] == "200"
    assert fields["full_name"].help == "As shown on the identity document."
    # Required in the schema but "" is a valid answer: the browser must not insist.
    assert not fields["phone"].required and not fields["email"].required
    assert fields["consent"].required and not fields["smoker"].required
    loading = _fields(build_fields(_schema("nb_senior_review")))["loading_percent"]
    assert (loading.kind, loading.input_type) == ("integer", "number")
    assert loading.attrs["min"] == "0" and loading.attrs["max"] == "300"
    fraud = _fields(build_fields(_schema("claim_investigation")))["fraud_indicators"]
    assert fraud.kind == "checkboxes" and fraud.options[0] == ("late_reporting",
                                                               "Late reporting")


def test_application_post_round_trip() -> None:
    schema = _schema("nb_application")
    raw = parse_form_post(schema, MultiDict(APPLICATION))
    assert "csrf_token" not in raw and "unknown" not in raw and "health_details" not in raw
    assert raw["smoker"] is False and raw["consent"] is True and raw["phone"] == ""
    assert raw["address"] == "1 Analytical St\nLondon"
    typed = validate_form(schema, raw)
    assert typed["sum_insured"] == Decimal("1234.50")
    assert typed["date_of_birth"] == date(1980, 12, 10)
    assert typed["product_code"] == "TERM_LIFE" and typed["health_details"] is None


def test_unticked_consent_and_bad_money_are_reported_by_validate_form() -> None:
    schema = _schema("nb_application")
    post = {**APPLICATION, "sum_insured": "12.345", "product_code": "BOGUS",
            "date_of_birth": "10/12/1980"}
    del post["consent"]
    raw = parse_form_post(schema, post)
    assert raw["consent"] is False and raw["sum_insured"] == "12.345"
    with pytest.raises(InvalidInput) as refused:
        validate_form(schema, raw)
    fields = refused.value.field_errors
    assert fields["sum_insured"] == ["Enter an amount such as 1250.00."]
    assert fields["date_of_birth"] == ["Enter a date as YYYY-MM-DD."]
    assert fields["product_code"][0].startswith("Choose one of")
    assert fields["consent"] == ["Must be true."]


@pytest.mark.parametrize("posted,expected", [
    ({"loading_percent": "25"}, 25),
    ({"loading_percent": " 7 "}, 7),
    ({"loading_percent": "2.5"}, "2.5"),
    ({"loading_percent": ""}, None),
    ({}, None),
])
def test_integers_parse_or_stay_text(posted: dict[str, str], expected: Any) -> None:
    raw = parse_form_post(_schema("nb_senior_review"), {"decision": "accept", **posted})
    assert raw.get("loading_percent") == expected
    assert "loading_percent" in raw or expected is None


def test_bad_integer_is_reported_by_validate_form() -> None:
    schema = _schema("nb_senior_review")
    raw = parse_form_post(schema, {"decision": "accept", "reason": "ok",
                                   "loading_percent": "lots"})
    with pytest.raises(InvalidInput) as refused:
        validate_form(schema, raw)
    assert refused.value.field_errors == {"loading_percent": ["Must be a whole number."]}


def test_checkbox_list_and_blank_optional_field() -> None:
    schema = _schema("claim_investigation")
    post = MultiDict([("cause_confirmed", "true"), ("extent_of_loss", "Total"),
                      ("fraud_indicators", "late_reporting"),
                      ("fraud_indicators", "prior_claims"), ("findings", "Seen"),
                      ("recommendation", "continue"), ("rejection_reason", "  ")])
    raw = parse_form_post(schema, post)
    assert raw["fraud_indicators"] == ["late_reporting", "prior_claims"]
    assert "rejection_reason" not in raw
    assert validate_form(schema, raw)["cause_confirmed"] is True
    post.setlist("fraud_indicators", [])
    assert parse_form_post(schema, post)["fraud_indicators"] == []


def test_blank_date_and_optional_reference() -> None:
    schema = _schema("nb_delivery")
    raw = parse_form_post(schema, {"method": "mail", "sent_on": "", "tracking_reference": ""})
    assert raw == {"method": "mail"}
    with pytest.raises(InvalidInput) as refused:
        validate_form(schema, raw)
    assert refused.value.field_errors == {"sent_on": ["This field is required."]}


def test_rerender_keeps_what_was_typed_and_the_errors() -> None:
    schema = _schema("nb_application")
    post = MultiDict({**APPLICATION, "sum_insured": "12.345"})
    errors = {"sum_insured": ["Enter an amount such as 1250.00."], "_form": ["Try again."]}
    fields = _fields(build_fields(schema, post, errors))
    assert fields["sum_insured"].value == "12.345"
    assert fields["sum_insured"].error == "Enter an amount such as 1250.00."
    assert fields["sum_insured"].described_by == "field-sum_insured-help field-sum_insured-error"
    assert fields["channel"].selected == ("agent",) and fields["consent"].selected == ("true",)
    assert fields["smoker"].selected == () and fields["full_name"].error is None
    assert other_errors(schema, errors) == ["Try again."]


def test_typed_values_are_shown_as_form_text() -> None:
    values = {"sum_insured": Decimal("1250"), "date_of_birth": date(1980, 1, 2),
              "smoker": True, "channel": "online"}
    fields = _fields(build_fields(_schema("nb_application"), values, {}))
    assert fields["sum_insured"].value == "1250.00"
    assert fields["date_of_birth"].value == "1980-01-02"
    assert fields["smoker"].selected == ("true",) and fields["channel"].selected == ("online",)
    fraud = _fields(build_fields(_schema("claim_investigation"),
                                 {"fraud_indicators": ["prior_claims"]}))["fraud_indicators"]
    assert fraud.selected == ("prior_claims",)


def test_groups_follow_x_order_with_loose_fields_between() -> None:
    schema = {"type": "object", "properties": {n: {"type": "string"} for n in "abcde"},
              "x-order": ["a", "b", "c", "d", "e"],
              "x-groups": [{"title": "Cover", "fields": ["d", "b"]}]}
    layout = [(g.title, [f.name for f in g.fields]) for g in build_fields(schema)]
    assert layout == [(None, ["a"]), ("Cover", ["b", "d"]), (None, ["c", "e"])]


def test_boolean_radio_and_integer_enum() -> None:
    schema = {"type": "object", "required": ["ok", "level"], "properties": {
        "ok": {"type": "boolean", "x-widget": "radio", "x-labels": {"true": "Agreed"}},
        "level": {"type": "integer", "enum": [1, 2], "x-widget": "radio"}}}
    fields = _fields(build_fields(schema, {"ok": False}))
    assert fields["ok"].options == (("true", "Agreed"), ("false", "No"))
    assert fields["ok"].selected == ("false",)
    assert parse_form_post(schema, {"ok": "false", "level": "2"}) == {"ok": False, "level": 2}
    assert validate_form(schema, parse_form_post(schema, {"ok": "true", "level": "1"})) == \
        {"ok": True, "level": 1}


def test_numbers_are_typed_exactly_or_left_for_the_validator() -> None:
    schema = {"type": "object", "properties": {"rate": {"type": "number", "minimum": 0}}}
    assert parse_form_post(schema, {"rate": "0.1"}) == {"rate": Decimal("0.1")}
    assert validate_form(schema, parse_form_post(schema, {"rate": "3"}))["rate"] == 3
    for text in ("abc", "NaN"):
        with pytest.raises(InvalidInput) as refused:
            validate_form(schema, parse_form_post(schema, {"rate": text}))
        assert refused.value.field_errors == {"rate": ["Must be a number."]}


def _render(groups: list[FieldGroup], errors: list[str] | None = None) -> str:
    env = Environment(loader=FileSystemLoader(str(ROOT / "web" / "templates")), autoescape=True)
    template = env.from_string(
        '{% from "partials/form_fields.html" import render_error_summary, render_fields %}'
        "{{ render_error_summary(groups, errors) }}{{ render_fields(groups) }}")
    return template.render(groups=groups, errors=errors or [])


def test_macro_renders_accessible_fields() -> None:
    schema = _schema("nb_application")
    post = {**APPLICATION, "full_name": '"><script>x</script>', "sum_insured": "12.345"}
    html = _render(build_fields(schema, post, {"sum_insured": "Enter an amount."}))
    assert '<label for="field-full_name">Full name' in html
    assert 'value="&#34;&gt;&lt;script&gt;x&lt;/script&gt;"' in html
    assert 'required aria-required="true"' in html and 'aria-hidden="true"> *</span>' in html
    assert 'id="field-full_name-help"' in html
    assert 'aria-describedby="field-full_name-help"' in html
    assert 'value="12.345"' in html and 'aria-invalid="true"' in html
    assert 'aria-describedby="field-sum_insured-help field-sum_insured-error"' in html
    assert '<p class="form-field__error" id="field-sum_insured-error">' in html
    assert '<a href="#field-sum_insured">Sum insured: Enter an amount.</a>' in html
    assert '<fieldset class="form-field form-field--radio" role="radiogroup"' in html
    assert "<legend>Channel" in html and 'value="agent" checked' in html
    assert '<option value="TERM_LIFE" selected>Term life</option>' in html
    assert 'name="consent" value="true" checked required' in html
    assert "<script>" not in html and "onclick" not in html


def test_macro_groups_become_fieldsets_and_no_errors_no_summary() -> None:
    schema = {"type": "object", "required": ["a"],
              "properties": {"a": {"type": "string", "title": "A"},
                             "b": {"type": "string", "x-widget": "textarea"}},
              "x-groups": [{"title": "Both", "fields": ["a", "b"]}]}
    html = _render(build_fields(schema, {"b": "\nfirst line kept"}))
    assert '<fieldset class="form-group"><legend>Both</legend>' in html
    assert "form-error-summary" not in html
    assert ">\n\nfirst line kept</textarea>" in html
