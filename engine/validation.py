"""Deploy-time checks: each problem names the file, the element id and says what is wrong."""

from __future__ import annotations

import json
from collections.abc import Iterable

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from . import sandbox
from .bundle import Problem, ProcessBundle, form_path
from .spiff import InsurflowParser
from .xml import NS, parse_xml

_SCHEMA_VALIDATOR: BpmnValidator | None = None


def role_for_lane(lane_name: str) -> str:
    return lane_name.strip().lower().replace(" ", "_").replace("-", "_")


def validate_bundle(bundle: ProcessBundle, handler_names: set[str],
                    role_ids: set[str]) -> list[Problem]:
    path = bundle.bpmn_path
    try:
        doc = parse_xml(bundle.files[path])
    except etree.XMLSyntaxError as exc:
        return [Problem(path, None, f"the file is not well-formed XML: {exc}")]
    problems = _schema_problems(path, doc)
    if problems:
        return problems
    process = doc.find(f"bpmn:process[@id='{bundle.process_id}']", NS)
    if process is None:
        return [Problem(path, None, f"the file must hold a process with id "
                                    f"'{bundle.process_id}' (the file name)")]
    problems += _lane_problems(path, process, role_ids)
    problems += _service_problems(path, process, handler_names)
    problems += _form_problems(bundle, process)
    problems += _gateway_problems(path, process)
    problems += _expression_problems(path, process)
    for dmn_path, text in bundle.dmn_files().items():
        problems += _dmn_expression_problems(dmn_path, text)
    # Our own sentences are plainer; keep SpiffWorkflow's only for elements we did not flag.
    flagged = {p.element_id for p in problems}
    return problems + [p for p in _spiff_problems(bundle) if p.element_id not in flagged]


def _schema_problems(path: str, doc: etree._Element) -> list[Problem]:
    global _SCHEMA_VALIDATOR
    _SCHEMA_VALIDATOR = _SCHEMA_VALIDATOR or BpmnValidator()
    try:
        _SCHEMA_VALIDATOR.validate(doc, path)
    except ValidationException as exc:
        return [Problem(path, exc.id or None, f"not valid BPMN 2.0: {exc.args[0]}")]
    return []


def _spiff_problems(bundle: ProcessBundle) -> list[Problem]:
    parser = InsurflowParser()
    try:
        for dmn_path, text in bundle.dmn_files().items():
            parser.add_dmn_xml(parse_xml(text), filename=dmn_path)
        parser.add_bpmn_xml(parse_xml(bundle.files[bundle.bpmn_path]), filename=bundle.bpmn_path)
        parser.get_spec(bundle.process_id)
        parser.get_subprocess_specs(bundle.process_id)
    except ValidationException as exc:
        return [Problem(exc.file_name or bundle.bpmn_path, exc.id or None, str(exc.args[0]))]
    except Exception as exc:  # noqa: BLE001 - any parser failure is a validation finding
        return [Problem(bundle.bpmn_path, None, f"the process cannot be parsed: {exc}")]
    return []


def _flow_nodes(process: etree._Element, tag: str) -> Iterable[etree._Element]:
    return process.iterfind(f".//bpmn:{tag}", NS)


def _lane_problems(path: str, process: etree._Element, role_ids: set[str]) -> list[Problem]:
    problems, in_lane = [], set()
    for lane in _flow_nodes(process, "lane"):
        role = role_for_lane(lane.get("name") or "")
        if role not in role_ids:
            problems.append(Problem(path, lane.get("id"), f"the lane '{lane.get('name')}' maps "
                                    f"to no role; known roles: {', '.join(sorted(role_ids))}"))
        in_lane |= {(ref.text or "").strip() for ref in lane.iterfind("bpmn:flowNodeRef", NS)}
    for task in _flow_nodes(process, "userTask"):
        if task.get("id") not in in_lane:
            problems.append(Problem(path, task.get("id"), "the user task is in no lane, so no "
                                                          "role can work on it"))
    return problems


def _service_problems(path: str, process: etree._Element, handlers: set[str]) -> list[Problem]:
    problems = []
    for task in _flow_nodes(process, "serviceTask"):
        operator = task.find(".//spiffworkflow:serviceTaskOperator", NS)
        if operator is None:
            problems.append(Problem(path, task.get("id"), "the service task names no operator"))
        elif operator.get("id") not in handlers:
            problems.append(Problem(path, task.get("id"), f"no handler is registered for the "
                                                          f"operator '{operator.get('id')}'"))
    return problems


def start_form_keys(bundle: ProcessBundle) -> set[str]:
    """The form keys of the process's start events: forms filled before any case exists."""
    try:
        doc = parse_xml(bundle.files[bundle.bpmn_path])
    except etree.XMLSyntaxError:
        return set()  # validate_bundle reports it
    process = doc.find(f"bpmn:process[@id='{bundle.process_id}']", NS)
    if process is None:
        return set()
    return {key for element in _flow_nodes(process, "startEvent")
            if (key := _form_key(element)) is not None}


def _form_key(element: etree._Element) -> str | None:
    for prop in element.iterfind(".//spiffworkflow:property", NS):
        if prop.get("name") == "formKey":
            return prop.get("value")
    return None


def _form_problems(bundle: ProcessBundle, process: etree._Element) -> list[Problem]:
    problems = []
    elements = list(_flow_nodes(process, "userTask")) + list(_flow_nodes(process, "startEvent"))
    for element in elements:
        key = _form_key(element)
        if key is None:
            if etree.QName(element).localname == "userTask":
                problems.append(Problem(bundle.bpmn_path, element.get("id"),
                                        "the user task has no formKey property"))
            continue
        message = form_problem(bundle.files.get(form_path(key)), key)
        if message:
            problems.append(Problem(bundle.bpmn_path, element.get("id"), message))
    return problems


def form_problem(text: str | None, key: str) -> str | None:
    """Why a form file is unusable, or None when it is a valid JSON Schema for an object."""
    if text is None:
        return f"the form file {form_path(key)} does not exist"
    try:
        schema = json.loads(text)
        Draft202012Validator.check_schema(schema)
    except json.JSONDecodeError as exc:
        return f"the form file {form_path(key)} is not valid JSON: {exc}"
    except SchemaError as exc:
        return f"the form file {form_path(key)} is not a valid JSON Schema: {exc.message}"
    if schema.get("type") != "object":
        return f"the form file {form_path(key)} must describe an object (\"type\": \"object\")"
    return None


def _gateway_problems(path: str, process: etree._Element) -> list[Problem]:
    problems = []
    for gateway in _flow_nodes(process, "exclusiveGateway"):
        flows = process.findall(f".//bpmn:sequenceFlow[@sourceRef='{gateway.get('id')}']", NS)
        if len(flows) < 2:
            continue
        for flow in flows:
            condition = flow.find("bpmn:conditionExpression", NS)
            if flow.get("id") != gateway.get("default") and (
                    condition is None or not (condition.text or "").strip()):
                problems.append(Problem(path, flow.get("id"), f"the flow leaving gateway "
                                        f"'{gateway.get('id')}' has no condition and is not the "
                                        f"gateway's default flow"))
    return problems


def _expression_problems(path: str, process: etree._Element) -> list[Problem]:
    found: list[tuple[str | None, str, str]] = []
    for flow in _flow_nodes(process, "sequenceFlow"):
        cond = flow.find("bpmn:conditionExpression", NS)
        if cond is not None and (cond.text or "").strip():
            found.append((flow.get("id"), cond.text or "", "eval"))
    for task in _flow_nodes(process, "scriptTask"):
        script = task.find("bpmn:script", NS)
        found.append((task.get("id"), script.text or "" if script is not None else "", "exec"))
    for param in process.iterfind(".//spiffworkflow:parameter", NS):
        found.append((param.get("id"), param.get("value") or "None", "eval"))
    return [p for element_id, source, mode in found
            if (p := _sandbox_problem(path, element_id, source, mode))]


def _sandbox_problem(path: str, element_id: str | None, source: str, mode: str) -> Problem | None:
    try:
        sandbox.check_source(source.strip() if mode == "eval" else source, mode)
    except SyntaxError as exc:
        return Problem(path, element_id, f"the expression is not valid Python: {exc.msg}")
    except sandbox.SandboxViolation as exc:
        return Problem(path, element_id, f"the script is rejected: {exc}")
    return None


def _dmn_expression_problems(path: str, text: str) -> list[Problem]:
    problems = []
    doc = parse_xml(text)
    for element in doc.iter():
        if not isinstance(element.tag, str):
            continue
        if etree.QName(element).localname not in {"inputExpression", "inputEntry", "outputEntry"}:
            continue
        source = "".join(element.itertext()).strip()
        if not source or source == "-":
            continue
        message = _dmn_entry_problem(source.replace("?", "x"))
        if message:
            problems.append(Problem(path, element.get("id"), message))
    return problems


def _dmn_entry_problem(source: str) -> str | None:
    # Entries such as "> 70" only parse once the engine puts the input on the left.
    for candidate in (source, f"x {source}"):
        try:
            sandbox.check_source(candidate, "eval")
            return None
        except sandbox.SandboxViolation as exc:
            return f"the expression is rejected: {exc}"
        except SyntaxError:
            continue
    return f"the expression is not valid Python: {source}"
