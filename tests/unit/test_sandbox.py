"""Scripts and expressions from BPMN files cannot import, open files or reach dunders."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine import sandbox


@pytest.mark.parametrize("script", [
    "import os",
    "from os import path",
    "x = ().__class__.__bases__[0].__subclasses__()",
    "x = __import__('os')",
    "x = open('/etc/passwd').read()",
    "x = eval('1')",
    "x = '{0.__class__}'.format(1)",
    "x = getattr(1, 'real')",
])
def test_escapes_are_stopped(script: str) -> None:
    with pytest.raises((sandbox.SandboxViolation, NameError)):
        sandbox.execute(script, {})


def test_plain_scripts_assign_and_delete() -> None:
    data = {"amount": Decimal("10.00"), "old": 1}
    sandbox.execute("total = amount * 2\nitems = [i for i in range(3) if i < amount]\ndel old",
                    data)
    assert data == {"amount": Decimal("10.00"), "total": Decimal("20.00"), "items": [0, 1, 2]}


def test_expressions_see_data_and_helpers() -> None:
    assert sandbox.evaluate("Decimal('1.10') + amount", {"amount": Decimal("1")}) == \
        Decimal("2.10")
    assert sandbox.evaluate("len([x for x in names if x])", {"names": ["a", "", "b"]}) == 2
