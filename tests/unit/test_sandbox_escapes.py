"""A corpus of escape attempts: each is refused when the process is validated (so it can never
be deployed) or contained when it runs (the case stops at an incident, and nothing it did is
visible to the next evaluation)."""

from __future__ import annotations

import contextlib
from decimal import Decimal
from xml.sax.saxutils import escape

import pytest

from engine import CaseRuntime, ProcessBundle, parse_bundle, sandbox
from engine.validation import validate_bundle

PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"
    targetNamespace="http://insurflow.example/test">
  <bpmn:process id="escape" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="evil" />
    <bpmn:scriptTask id="evil" name="Evil"><bpmn:script>SCRIPT</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="evil" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>"""

# Refused by `processes validate` / deploy: the syntax or attribute is not on the allow-list.
REFUSED_AT_VALIDATION = {
    "generator frame": "g = (i for i in [1])\nf = g.gi_frame",
    "generator frame chain": "x = (i for i in [1]).gi_frame.f_back.f_globals",
    "generator code": "x = (i for i in [1]).gi_code",
    "generator throw": "x = (i for i in [1]).throw",
    "coroutine": "async def f():\n    pass\nx = f().cr_frame",
    "coroutine frame by name": "x = f.cr_frame",
    "async generator": "async def g():\n    yield 1\nx = g().ag_frame",
    "yield in lambda": "x = (lambda: (yield))().gi_frame",
    "await": "x = await y",
    "traceback via except": "try:\n    1 / 0\nexcept Exception as e:\n    t = e.__traceback__",
    "traceback frame": "x = e.tb_frame",
    "str.format attribute": "x = '{0.__class__}'.format(1)",
    "format_map attribute": "x = '{a.__class__}'.format_map({'a': 1})",
    "f-string dunder": "x = f'{(1).__class__}'",
    "f-string computed spec": "w = 10\nx = f'{1:{w}}'",
    "f-string huge width": "x = f'{1:>999999999}'",
    "dunder chain": "x = ().__class__.__bases__[0].__subclasses__()",
    "builtins by name": "x = __builtins__",
    "builtins item store": "__builtins__['len'] = None",
    "import": "import os",
    "from import": "from operator import attrgetter",
    "operator module": "import operator\nx = operator.attrgetter('__class__')(1)",
    "dunder import": "x = __import__('os')",
    "class statement": "class A:\n    pass",
    "lambda defaults": "f = lambda x=1: x\nd = f.__defaults__",
    "lambda code": "c = (lambda: 0).__code__",
    "lambda globals": "g = (lambda: 0).__globals__",
    "comprehension frame": "x = [i.gi_frame for i in [(j for j in [1])]]",
    "walrus in comprehension": "x = [(y := i) for i in [1]]",
    "decorator": "@print\ndef f():\n    pass",
    "function definition": "def f():\n    return 1",
    "global": "global x\nx = 1",
    "nonlocal": "f = lambda: 0\nnonlocal f",
    "bound method self": "x = [].append.__self__",
    "method call dunder": "x = [].sort.__call__",
    "mutate Decimal helper": "Decimal.quantize = None",
    "mutate date helper": "date.today = lambda: 1",
    "attribute store": "x = {}\nx.y = 1",
    "match class pattern": "match 1:\n    case int(real=r):\n        x = r",
    "with statement": "with x as f:\n    pass",
    "bytes literal": "x = b'abc'",
    "sorted key dunder": "x = sorted([1], key=lambda v: v.__class__)",
    "raise from": "raise ValueError('a') from None",
}

# Syntactically allowed, stopped when the script runs: the case stops at an incident.
CONTAINED_AT_RUN_TIME = {
    "type() class construction": ("T = type('T', (), {})", "NameError"),
    "getattr builtin": ("x = getattr(1, 'real')", "NameError"),
    "vars builtin": ("x = vars()", "NameError"),
    "globals builtin": ("x = globals()", "NameError"),
    "eval builtin": ("x = eval('1')", "NameError"),
    "compile builtin": ("x = compile('1', 's', 'eval')", "NameError"),
    "open builtin": ("x = open('/etc/passwd')", "NameError"),
    "allowed name on a generator": ("x = (i for i in [1]).count", "SandboxViolation"),
    "attribute of a class": ("x = str.join(',', ['a'])", "SandboxViolation"),
    "attribute of an exception": ("x = ValueError('a').index", "SandboxViolation"),
    "%-format mapping": ("x = '%(a)s' % {'a': 1}", "SandboxViolation"),
    "rebind len and keep it": ("len = lambda x: 0", "UnstorableValue"),
    "leak a lambda into the data": ("f = lambda: 1", "UnstorableValue"),
    "recursion through a lambda": ("f = lambda n: f(n + 1)\nx = f(0)", "RecursionError"),
    "sum concatenating lists": ("x = sum([[1], [2]], [])", "SandboxViolation"),
    "round with huge digits": ("x = round(5, -10**9)", "SandboxViolation"),
}


def _bundle(script: str) -> ProcessBundle:
    return ProcessBundle("escape", "Escape", "escape.bpmn",
                         {"escape.bpmn": PROCESS.replace("SCRIPT", escape(script))})


def _isolation_holds() -> bool:
    """A fresh evaluation still sees the real builtins and helpers."""
    return bool(sandbox.evaluate(
        "len([1, 2]) == 2 and sorted([2, 1]) == [1, 2] and Decimal('1') + 1 == 2 "
        "and str(date(2026, 1, 2)) == '2026-01-02' and today() is not None", {}))


def test_the_corpus_has_at_least_thirty_distinct_attempts() -> None:
    scripts = list(REFUSED_AT_VALIDATION.values()) + [
        s for s, _ in CONTAINED_AT_RUN_TIME.values()]
    assert len(set(scripts)) == len(scripts) >= 30


@pytest.mark.parametrize("script", REFUSED_AT_VALIDATION.values(),
                         ids=list(REFUSED_AT_VALIDATION))
def test_escape_is_refused_at_validation(script: str) -> None:
    problems = validate_bundle(_bundle(script), set(), set())
    assert [p.element_id for p in problems] == ["evil"], problems
    with pytest.raises((sandbox.SandboxViolation, SyntaxError)):
        sandbox.check_source(script)


@pytest.mark.parametrize("script,error_type", CONTAINED_AT_RUN_TIME.values(),
                         ids=list(CONTAINED_AT_RUN_TIME))
def test_escape_is_contained_at_run_time(script: str, error_type: str) -> None:
    bundle = _bundle(script)
    assert validate_bundle(bundle, set(), set()) == []
    runtime = CaseRuntime.start(parse_bundle(bundle), {"amount": Decimal("5")}, None)
    result = runtime.run()
    assert result.incident is not None
    assert (result.incident.element_id, result.incident.error_type) == ("evil", error_type)
    assert runtime.case_data() == {"amount": Decimal("5")}
    assert _isolation_holds()


@pytest.mark.parametrize("script", [
    "Decimal = lambda v: 0\ndate = None\ntoday = None\ntimedelta = 1",
    "len = 1\nsorted = 2\nstr = 3\nx = len + sorted + str",
    "del len",
])
def test_rebinding_helpers_and_builtins_ends_with_the_evaluation(script: str) -> None:
    data: dict[str, object] = {}
    with contextlib.suppress(NameError):  # `del len`: a builtin is not the script's to delete
        sandbox.execute(script, data)
    assert "Decimal" not in data and "today" not in data
    assert _isolation_holds()
