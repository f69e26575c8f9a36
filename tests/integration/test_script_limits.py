"""A script that loops forever (or keeps allocating) stops its case at an incident naming the
element and the limit, within the budget; the database stays usable for every other case."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine import sandbox_limits
from tests.support import flows

PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="NAME_defs" targetNamespace="http://insurflow.example/test">
  <bpmn:process id="NAME" name="NAME" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_clerk" name="Clerk">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>work</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>confirm</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>done</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    <bpmn:scriptTask id="work" name="Work"><bpmn:script>SCRIPT</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="confirm" />
    <bpmn:userTask id="confirm" name="Confirm">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formKey" value="test_confirm" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f3" sourceRef="confirm" targetRef="done" />
    <bpmn:endEvent id="done" />
  </bpmn:process>
</bpmn:definitions>"""

SCRIPTS = {
    "endless": "n = 0\nwhile True:\n    n = n + 1",
    "hoarding": "chunks = []\nwhile True:\n    chunks.append('x' * 1000000)",
    "leaky": "kinds = {'a', 'b'}",
    "calm": "noted = 1",
}


@pytest.fixture
def limited(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(sandbox_limits.TIME_SETTING, "0.5")
    monkeypatch.setenv(sandbox_limits.MEMORY_SETTING, "16")
    sandbox_limits.configured_limits.cache_clear()
    yield
    monkeypatch.undo()
    sandbox_limits.configured_limits.cache_clear()


@pytest.fixture
def deployed(uow, tmp_path: Path, limited: None):  # type: ignore[no-untyped-def]
    shutil.copytree(flows.FIXTURES / "forms", tmp_path / "forms")
    folder = tmp_path / "processes" / "limits"
    folder.mkdir(parents=True)
    for name, script in SCRIPTS.items():
        (folder / f"{name}.bpmn").write_text(
            PROCESS.replace("NAME", name).replace("SCRIPT", script))
    flows.deploy(uow, tmp_path)
    return uow


def _incident_of(uow, process_id: str) -> tuple[str, str, str, str]:  # type: ignore[no-untyped-def]
    case_id = flows.start(uow, process_id, {})
    view = flows.show(uow, case_id)
    [incident] = view.incidents
    return view.case.status, incident.element_id, incident.error_type, incident.message


def _calm_case_completes(uow) -> None:  # type: ignore[no-untyped-def]
    case_id = flows.start(uow, "calm", {})
    view = flows.complete(uow, case_id, "confirm", {"ok": True})
    assert view.case.status == "completed"
    assert view.data["noted"] == 1


def test_endless_loop_is_an_incident_naming_the_time_limit(deployed) -> None:  # type: ignore[no-untyped-def]
    status, element_id, error_type, message = _incident_of(deployed, "endless")
    assert (status, element_id, error_type) == ("incident", "work", "ScriptLimitExceeded")
    assert "time limit of 0.5 s" in message and sandbox_limits.TIME_SETTING in message
    _calm_case_completes(deployed)


def test_endless_allocation_is_an_incident_naming_the_memory_limit(deployed) -> None:  # type: ignore[no-untyped-def]
    status, element_id, error_type, message = _incident_of(deployed, "hoarding")
    assert (status, element_id, error_type) == ("incident", "work", "ScriptLimitExceeded")
    assert "memory limit of 16 MB" in message and sandbox_limits.MEMORY_SETTING in message
    _calm_case_completes(deployed)


def test_unstorable_value_is_an_incident_naming_the_variable(deployed) -> None:  # type: ignore[no-untyped-def]
    status, element_id, error_type, message = _incident_of(deployed, "leaky")
    assert (status, element_id, error_type) == ("incident", "work", "UnstorableValue")
    assert "'kinds'" in message and "set" in message
    _calm_case_completes(deployed)
