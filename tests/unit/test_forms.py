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
