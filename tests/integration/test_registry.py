"""Deploy-time validation (one test per kind of problem) and versioning."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import ProcessVersion
from services import processes
from services.errors import DeployRejected
from tests.support import flows

FLOW = "processes/basic/service_flow.bpmn"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(flows.FIXTURES, tmp_path / "root")
    return tmp_path / "root"


def _edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text()
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1))


def _problems(root: Path) -> list[str]:
    return processes.validate_files(root)[1]


def test_fixtures_are_valid(root: Path) -> None:
    assert _problems(root) == []


def test_xml_syntax_error(root: Path) -> None:
    _edit(root, FLOW, "</bpmn:process>", "</bpmn:proces>")
    [problem] = _problems(root)
    assert problem.startswith(FLOW) and "not well-formed XML" in problem


def test_bpmn_schema_error(root: Path) -> None:
    _edit(root, FLOW, '<bpmn:endEvent id="done" name="Done" />',
          '<bpmn:endEvent id="done" name="Done" /><bpmn:notAnElement id="x" />')
    [problem] = _problems(root)
    assert "not valid BPMN 2.0" in problem


def test_service_operator_without_handler(root: Path) -> None:
    _edit(root, FLOW, 'id="test.fail"', 'id="test.unknown_operator"')
    assert _problems(root) == [f"{FLOW} [call_fail]: no handler is registered for the operator "
                               f"'test.unknown_operator'"]


def test_form_rules_wrongly_written_or_reading_no_case(root: Path) -> None:
    _edit(root, "forms/test_start.json", '"additionalProperties": false',
          '"additionalProperties": false, "x-rules": ['
          '{"field": "on", "at_most": "today"}, {"field": "amount", "at_most": "case.limit"}]')
    assert _problems(root) == ["forms/test_start.json: rule 2 of x-rules compares with "
                               "case.limit, but a start form has no case yet"]
    _edit(root, "forms/test_start.json", '"at_most": "today"', '"at_most": "tomorrow"')
    assert _problems(root) == ["forms/test_start.json: rule 1 of x-rules: 'tomorrow' is not "
                               "a date"]


def test_user_task_form_missing(root: Path) -> None:
    (root / "forms/test_confirm.json").unlink()
    problems = _problems(root)
    assert f"{FLOW} [confirm]: the form file forms/test_confirm.json does not exist" in problems


def test_user_task_form_not_json(root: Path) -> None:
    (root / "forms/test_confirm.json").write_text("{not json")
    assert any("[confirm]" in p and "is not valid JSON" in p for p in _problems(root))


def test_user_task_form_not_json_schema(root: Path) -> None:
    (root / "forms/test_confirm.json").write_text('{"type": "object", "required": "ok"}')
    assert any("[confirm]" in p and "not a valid JSON Schema" in p for p in _problems(root))


def test_lane_without_role(root: Path) -> None:
    _edit(root, FLOW, 'name="Clerk"', 'name="Astronaut"')
    [problem] = _problems(root)
    assert problem.startswith(f"{FLOW} [lane_clerk]: the lane 'Astronaut' maps to no role")


def test_gateway_flow_without_condition(root: Path) -> None:
    _edit(root, FLOW, 'default="f6"', "")
    [problem] = _problems(root)
    assert problem == (f"{FLOW} [f6]: the flow leaving gateway 'route' has no condition and is "
                       f"not the gateway's default flow")


def test_dmn_that_does_not_parse(root: Path) -> None:
    _edit(root, "processes/basic/test_band.dmn", "</definitions>", "")
    problems = _problems(root)
    assert any(p.startswith("processes/basic/test_band.dmn") and "does not parse" in p
               for p in problems)


def test_script_that_imports_is_rejected(root: Path) -> None:
    _edit(root, "processes/loops/long_loop.bpmn", "counter = 0", "import os\ncounter = 0")
    [problem] = _problems(root)
    assert "[init]" in problem and "Import is not allowed" in problem


def test_condition_reaching_dunder_is_rejected(root: Path) -> None:
    _edit(root, FLOW, "not ok", "ok.__class__")
    [problem] = _problems(root)
    assert "[f5]" in problem and "'__class__' is not allowed" in problem


def test_failed_deploy_changes_nothing(root: Path, uow, session_factory) -> None:
    _edit(root, FLOW, 'id="test.fail"', 'id="test.unknown_operator"')
    with pytest.raises(DeployRejected) as error:
        flows.deploy(uow, root)
    assert len(error.value.problems) == 1
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(ProcessVersion)) == 0


def test_new_version_only_when_content_changes(root: Path, uow) -> None:
    first = {o.process_id: (o.version, o.created) for o in flows.deploy(uow, root)}
    assert first == {"service_flow": (1, True), "long_loop": (1, True)}
    again = {o.process_id: (o.version, o.created) for o in flows.deploy(uow, root)}
    assert again == {"service_flow": (1, False), "long_loop": (1, False)}
    # a change to a form the process uses is a change to the process
    _edit(root, "forms/test_confirm.json", '"title": "OK"', '"title": "Confirmed"')
    third = {o.process_id: (o.version, o.created) for o in flows.deploy(uow, root)}
    assert third == {"service_flow": (2, True), "long_loop": (2, True)}


def test_running_case_stays_on_its_version(root: Path, uow) -> None:
    flows.deploy(uow, root)
    case_id = flows.start(uow, "service_flow", {"amount": "5", "on": "2026-01-01"})
    # v2 renames the user task; the running case must still find its own task
    _edit(root, FLOW, 'name="Confirm amount"', 'name="Confirm the amount again"')
    flows.deploy(uow, root)
    view = flows.complete(uow, case_id, "confirm", {"ok": True})
    assert view.version.version == 1 and view.case.status == "completed"
    new_case = flows.start(uow, "service_flow", {"amount": "5", "on": "2026-01-01"})
    new_view = flows.show(uow, new_case)
    assert new_view.version.version == 2
    assert new_view.open_tasks[0].title == "Confirm the amount again"
