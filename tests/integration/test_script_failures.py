"""A script that slips past deploy (or is written to escape) fails cleanly as an incident."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import CaseRuntime, ProcessBundle, parse_bundle

ESCAPE = """<?xml version="1.0" encoding="UTF-8"?>
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


@pytest.mark.parametrize("script,error_type", [
    ("import os", "SandboxViolation"),
    ("x = (1).__class__", "SandboxViolation"),
    ("x = open('/etc/passwd')", "NameError"),
    ("x = 1 / 0", "ZeroDivisionError"),
])
def test_escaping_script_stops_case_with_incident(script: str, error_type: str,
                                                  tmp_path: Path) -> None:
    bundle = ProcessBundle("escape", "Escape", "escape.bpmn",
                           {"escape.bpmn": ESCAPE.replace("SCRIPT", script)})
    runtime = CaseRuntime.start(parse_bundle(bundle), {}, None)
    result = runtime.run()
    assert result.incident is not None
    assert result.incident.element_id == "evil"
    assert result.incident.error_type == error_type
    assert not runtime.is_completed()
    assert "x" not in runtime.case_data()
