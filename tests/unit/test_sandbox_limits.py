"""Every way to run long or allocate big in one step ends in a clear error inside the budget,
and what a script leaves in the data must be storable."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from engine import sandbox, sandbox_limits, values


@pytest.fixture(autouse=True)
def small_budget(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(sandbox_limits.TIME_SETTING, "0.3")
    monkeypatch.setenv(sandbox_limits.MEMORY_SETTING, "16")
    sandbox_limits.configured_limits.cache_clear()
    yield
    monkeypatch.undo()
    sandbox_limits.configured_limits.cache_clear()


RUNAWAY_SCRIPTS = [
    "while True:\n    pass",
    "x = 10**10**9",
    "x = 2 << 10**9",
    "x = 'a' * 10**10",
    "x = [0] * 10**10",
    "x = list(range(10**10))",
    "x = sum(range(10**12))",
    "x = sorted(range(10**9))",
    "x = max(range(10**12))",
    "x = 'a' in range(10**12)",
    "x = 'a'.center(10**10)",
    "x = 'a'.ljust(10**10)",
    "x = 'a'.rjust(10**10)",
    "x = '1'.zfill(10**10)",
    "x = ('\\t' * 1000).expandtabs(10**7)",
    "x = ('a' * 1000).replace('a', 'b' * 10**5)",
    "x = ''.replace('', 'a' * 10**8)",
    "s = 'ab'\nfor i in range(40):\n    s = s + s",
    "s = 'ab'\nfor i in range(40):\n    s += s",
    "x = ('a' * 10**6).join(['b'] * 100)",
    "x = [[0] * 10**6 for i in range(1000)]",
    "x = [[i for i in range(10**4)] for j in range(10**4)]",
    "d = {}\ni = 0\nwhile True:\n    d[i] = i\n    i += 1",
    "f = lambda n: n if n < 2 else f(n - 1) + f(n - 2)\nx = f(60)",
    "x = list(zip(range(10**6), range(10**6), range(10**6)))",
    "x = 9 ** 9 ** 9",
    "x = {'a': [1] * 10**8}",
    "x = ('a ' * 10**6).split()",
    # Shared parts: what ==, str() or saving would walk counts each time it is shared.
    "a = [0] * 1000\nb = [a] * 1000\nc = [b] * 1000",
    "x = [0]\nfor i in range(60):\n    x = [x, x]",
    "big = [0] * 10**5\nx = [big for i in range(10**4)]",
    "big = [0] * 10**5\nx = list(big for i in range(10**4))",
    "big = [0] * 10**5\nx = []\nfor i in range(10**4):\n    x.append(big)",
    "big = [0] * 10**5\nd = {}\nfor i in range(10**4):\n    d[i] = big",
    "x = [0] * 10**6\ny = [f'{x}' for i in range(100)]",
    "x = [0] * 10**6\ny = [str(x) for i in range(100)]",
]


@pytest.mark.parametrize("script", RUNAWAY_SCRIPTS)
def test_runaway_script_ends_at_a_limit(script: str) -> None:
    with pytest.raises(sandbox.ScriptLimitExceeded):
        sandbox.execute(script, {})


@pytest.mark.parametrize("expression", ["sum(range(10**12))", "[0] * 10**10",
                                        "len([1 for i in range(10**7)])"])
def test_runaway_expression_ends_at_a_limit(expression: str) -> None:
    with pytest.raises(sandbox.ScriptLimitExceeded):
        sandbox.evaluate(expression, {})


@pytest.mark.parametrize("script", ["x = int(Decimal('1e999999999'))",
                                    "x = round(Decimal('1e999999999'))"])
def test_huge_decimal_to_integer_is_refused(script: str) -> None:
    with pytest.raises(sandbox.SandboxViolation, match="4300 digits"):
        sandbox.execute(script, {})


def test_recursion_through_a_lambda_is_an_error() -> None:
    with pytest.raises(RecursionError):
        sandbox.execute("f = lambda n: f(n + 1)\nx = f(0)", {})


def test_huge_integer_text_is_refused() -> None:
    with pytest.raises(ValueError, match="4300 digits"):
        sandbox.execute("x = int('9' * 10**6)", {})


def test_a_lambda_smuggled_out_cannot_run_outside_its_evaluation() -> None:
    smuggled = sandbox.evaluate("sorted([lambda: 1])", {})[0]
    with pytest.raises(sandbox.SandboxViolation, match="inside its own evaluation"):
        smuggled()


@pytest.mark.parametrize("script,variable,reason", [
    ("kinds = {1, 2}", "kinds", "set"),
    ("rows = (i for i in [1])", "rows", "generator"),
    ("f = lambda: 1", "f", "function"),
    ("n = 10**30", "n", "64-bit"),
    ("x = float('nan')", "x", "nan"),
    ("x = float('inf')", "x", "inf"),
    ("x = Decimal('NaN')", "x", "NaN"),
    ("x = timedelta(days=1)", "x", "timedelta"),
    ("x = {1: 'a'}", "x", "keys"),
    ("x = [[{'a': {1, 2}}]]", "x", "set"),
    ("items.append({3})", "items", "set"),
])
def test_unstorable_value_names_the_variable(script: str, variable: str, reason: str) -> None:
    data = {"items": [1]}
    with pytest.raises(sandbox.UnstorableValue) as raised:
        sandbox.execute(script, data)
    assert f"{variable!r}" in str(raised.value) and reason in str(raised.value)
    assert variable not in data or variable == "items"


def test_a_value_too_large_to_store_is_refused_without_walking_all_of_it() -> None:
    shared = [[0] * 1000] * 1000  # a million values through one shared list
    assert values.unstorable_reason(shared) == "it holds more than 100000 values"
    assert values.unstorable_reason([[0] * 1000] * 10) is None


def test_storable_values_pass() -> None:
    data: dict[str, object] = {}
    sandbox.execute("a = Decimal('1.10')\nb = date(2026, 1, 2)\nc = [1, 'x', None, True]\n"
                    "d = {'k': (1, 2.5)}\ne = 2**62", data)
    assert data["a"] == Decimal("1.10") and data["e"] == 2**62
    assert values.unstorable_reason(data) is None


def test_allowed_scripts_still_work() -> None:
    data = {"amount": Decimal("1234.5"), "claim": {"items": [1, 2]}, "when": None}
    sandbox.execute(
        "label = f'{amount:,.2f}'.rjust(12)\nsummary = ', '.join(str(i) for i in claim['items'])\n"
        "totals = {}\ntotals['x'] = 1\ntotals['x'] += 2\nwords = 'a b'.split()\n"
        "year = date.fromisoformat('2026-03-01').year\n"
        "big = max(claim['items'], key=lambda v: -v)\n"
        "ok = isinstance(words, list) and isinstance(totals, (dict, tuple))", data)
    assert data["label"] == "    1,234.50" and data["summary"] == "1, 2"
    assert data["totals"] == {"x": 3} and data["year"] == 2026 and data["big"] == 1
    assert data["ok"] is True
