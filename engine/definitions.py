"""Parsed process versions, cached by content hash: a version's files never change."""

from __future__ import annotations

from dataclasses import dataclass
from threading import Lock
from typing import Any

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec

from .bundle import ProcessBundle
from .retries import mark_background_tasks
from .spiff import InsurflowParser, spec_properties
from .validation import role_for_lane
from .xml import parse_xml


@dataclass(frozen=True)
class ProcessDefinition:
    process_id: str
    content_hash: str
    spec: BpmnProcessSpec
    subprocess_specs: dict[str, Any]
    start_form_key: str | None
    files: dict[str, str]


_cache: dict[str, ProcessDefinition] = {}
_lock = Lock()


def cached_definition(content_hash: str) -> ProcessDefinition | None:
    """A version already parsed in this process; its files are immutable, so reuse it."""
    with _lock:
        return _cache.get(content_hash)


def parse_bundle(bundle: ProcessBundle) -> ProcessDefinition:
    """Parse (DMN files first, as SpiffWorkflow needs) or return the cached definition."""
    key = bundle.content_hash
    with _lock:
        if key in _cache:
            return _cache[key]
    parser = InsurflowParser()
    for path, text in bundle.dmn_files().items():
        parser.add_dmn_xml(parse_xml(text), filename=path)
    parser.add_bpmn_xml(parse_xml(bundle.files[bundle.bpmn_path]), filename=bundle.bpmn_path)
    spec = parser.get_spec(bundle.process_id)
    subprocess_specs = parser.get_subprocess_specs(bundle.process_id)
    mark_background_tasks(spec.task_specs)
    for sub_spec in subprocess_specs.values():
        mark_background_tasks(sub_spec.task_specs)
    definition = ProcessDefinition(
        process_id=bundle.process_id,
        content_hash=key,
        spec=spec,
        subprocess_specs=subprocess_specs,
        start_form_key=_start_form_key(spec),
        files=dict(bundle.files),
    )
    with _lock:
        _cache[key] = definition
    return definition


def _start_form_key(spec: BpmnProcessSpec) -> str | None:
    for task_spec in spec.task_specs.values():
        if type(task_spec).__name__ == "StartEvent":
            key = spec_properties(task_spec).get("formKey")
            if key:
                return key
    return None


def user_task_names(definition: ProcessDefinition) -> list[tuple[str, str]]:
    """(element id, name) of every user task, for filters and pickers."""
    found = [(spec.bpmn_id, spec.bpmn_name or spec.bpmn_id)
             for spec in definition.spec.task_specs.values()
             if type(spec).__name__ == "UserTask"]
    return sorted(found, key=lambda item: item[1])


def start_role(definition: ProcessDefinition) -> str | None:
    """The role of the lane holding the start event: who may start a case from a form."""
    for spec in definition.spec.task_specs.values():
        if type(spec).__name__ == "StartEvent" and getattr(spec, "lane", None):
            return role_for_lane(spec.lane)
    return None


def lane_roles(definition: ProcessDefinition) -> frozenset[str]:
    """The roles of every lane of the process: who works on its cases, so may read them."""
    return frozenset(role_for_lane(spec.lane) for spec in definition.spec.task_specs.values()
                     if getattr(spec, "lane", None))
