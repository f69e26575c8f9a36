"""services.forms.validate_form: every field error once."""

from __future__ import annotations

import pytest

from services.errors import InvalidInput
from services.forms import validate_form


def test_each_missing_field_is_reported_once() -> None:
    schema = {"type": "object", "required": ["a", "b", "c"],
              "properties": {name: {"type": "string"} for name in "abc"}}
    with pytest.raises(InvalidInput) as refused:
        validate_form(schema, {"c": "present"})
    assert refused.value.field_errors == {"a": ["This field is required."],
                                          "b": ["This field is required."]}


def test_a_date_marked_not_after_today_refuses_tomorrow() -> None:
    from datetime import UTC, date, datetime

    from engine.clock import set_clock
    from services.errors import InvalidInput
    from services.forms import validate_form

    schema = {"type": "object", "properties": {
        "paid_on": {"type": "string", "format": "date", "x-notAfter": "today"}}}
    set_clock(lambda: datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    assert validate_form(schema, {"paid_on": "2026-11-25"})["paid_on"] == date(2026, 11, 25)
    try:
        validate_form(schema, {"paid_on": "2026-11-26"})
    except InvalidInput as error:
        assert error.field_errors == {"paid_on": ["Must not be after today (2026-11-25)."]}
    else:
        raise AssertionError("tomorrow was accepted")
