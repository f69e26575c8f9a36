"""Two cases in one process cannot influence each other through a script: whatever one case's
script rebinds (builtins, helpers), the next case's gateway routes by the real ones."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

import pytest

from engine import CaseRuntime, ProcessBundle, parse_bundle

ROUTING = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d"
    targetNamespace="http://insurflow.example/test">
  <bpmn:process id="routing" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="prepare" />
    <bpmn:scriptTask id="prepare"><bpmn:script>SCRIPT</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="prepare" targetRef="route" />
    <bpmn:exclusiveGateway id="route" default="to_handler" />
    <bpmn:sequenceFlow id="to_senior" sourceRef="route" targetRef="senior">
      <bpmn:conditionExpression>CONDITION</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="to_handler" sourceRef="route" targetRef="handler" />
    <bpmn:endEvent id="senior" />
    <bpmn:endEvent id="handler" />
  </bpmn:process>
</bpmn:definitions>"""
CONDITION = 'len(fraud_indicators) &gt; 0 or amount &gt; Decimal("10000")'

ATTACKS = [
    "Decimal = lambda v: 10**9\nlen = lambda x: 0",
    "Decimal = lambda v: 10**9\ndate = None\ntoday = None",
    "len = 0\nsorted = None\nstr = None",
    "x = [i for i in range(3)]\nlen = x",
    "flags = fraud_indicators\nflags.clear()",
]


def _run(script: str, data: dict[str, Any]) -> tuple[str | None, str | None]:
    bundle = ProcessBundle("routing", "Routing", "routing.bpmn",
                           {"routing.bpmn": ROUTING.replace("SCRIPT", escape(script)).replace(
                               "CONDITION", CONDITION)})
    result = CaseRuntime.start(parse_bundle(bundle), data, None).run()
    ends = [e.element_id for e in result.events if e.kind == "end_reached"]
    return (ends[0] if ends else None,
            result.incident.error_type if result.incident else None)


@pytest.mark.parametrize("attack", ATTACKS)
def test_one_case_script_cannot_reroute_another_case(attack: str) -> None:
    fraud = {"fraud_indicators": ["duplicate claim"], "amount": Decimal("500")}
    _run(attack, {"fraud_indicators": ["x"], "amount": Decimal("1")})
    assert _run("checked = True", dict(fraud)) == ("senior", None)
    assert _run("checked = True", {"fraud_indicators": [], "amount": Decimal("500")}) == (
        "handler", None)


def test_a_case_that_rebinds_its_helpers_routes_by_the_real_ones_itself() -> None:
    end, incident = _run("Decimal = lambda v: 10**9",
                         {"fraud_indicators": [], "amount": Decimal("20000")})
    assert (end, incident) == ("senior", None)
