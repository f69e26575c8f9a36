"""The accept path run by bare SpiffWorkflow: the ceiling the throughput target is set against.

This is the one module outside engine/ that imports SpiffWorkflow, on purpose: it measures
SpiffWorkflow without Insurflow's facade. SpiffWorkflow's own parser and PythonScriptEngine,
no sandbox, no pruning, no events, no database; service tasks answer with the results a
persisted run recorded, and form data is typed once up front, as for bench.support's
in-memory ceiling (which drives the same process through engine.CaseRuntime instead).
"""

from __future__ import annotations

import time
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from bench.support import ROOT, application, user_steps
from engine import ProcessBundle, discover, form_path
from engine.values import dumps
from services.forms import load_schema, validate_form

_FORMS = ("nb_first_premium", "nb_delivery", "nb_delivery_confirmation")


class _RecordedServices(PythonScriptEngine):
    """SpiffWorkflow's script engine; service calls answer with recorded results (JSON text,
    as SpiffWorkflow expects)."""

    def __init__(self, results: dict[str, Any]) -> None:
        super().__init__()
        self._results = {operator: dumps(result) for operator, result in results.items()}

    def call_service(self, task: Any, operation_name: str, operation_params: Any,
                     task_data: Any = None) -> str:
        return self._results[operation_name]


def _bundle() -> ProcessBundle:
    bundles, _ = discover(ROOT)
    return next(b for b in bundles if b.process_id == "new_business")


def bare_ceiling(results: dict[str, Any], cases_count: int) -> float:
    """Cases per second of the accept path in bare SpiffWorkflow."""
    bundle = _bundle()
    parser = SpiffBpmnParser()
    for path, text in bundle.dmn_files().items():
        parser.add_dmn_xml(etree.fromstring(text.encode()), filename=path)
    parser.add_bpmn_xml(etree.fromstring(bundle.files[bundle.bpmn_path].encode()),
                        filename=bundle.bpmn_path)
    spec = parser.get_spec("new_business")
    subprocess_specs = parser.get_subprocess_specs("new_business")
    forms = {key: load_schema(bundle.files[form_path(key)])
             for key in ("nb_application", *_FORMS)}
    steps = [(element_id, validate_form(forms[key], data))
             for (element_id, data), key in zip(user_steps(), _FORMS, strict=True)]
    script_engine = _RecordedServices(results)

    started = time.perf_counter()
    for number in range(cases_count):
        workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine)
        start_data = validate_form(forms["nb_application"], application(number))
        workflow.get_tasks(state=TaskState.READY)[0].data.update(start_data)
        workflow.do_engine_steps()
        for element_id, data in steps:
            task = next(t for t in workflow.get_tasks(state=TaskState.READY, manual=True)
                        if t.task_spec.bpmn_id == element_id)
            task.data.update(data)
            task.run()
            workflow.do_engine_steps()
        assert workflow.is_completed()
    return cases_count / (time.perf_counter() - started)
