"""SpiffWorkflow wiring: parser, script engine, serializer, and our service task spec.

This is the only module family that imports SpiffWorkflow (engine/*).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.bpmn_task_spec import BpmnTaskSpec
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import ServiceTaskParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.serializer.task_spec import ServiceTaskConverter
from SpiffWorkflow.spiff.specs.defaults import ServiceTask
from SpiffWorkflow.task import Task

from . import sandbox, values

# (task, operator name, evaluated parameters) -> JSON-ready result dict
ServiceInvoker = Callable[[Task, str, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class HandlerOutcome:
    """A handler's result plus what it changed on the case itself (business key, customer
    name, correlation keys): recorded with the call so a replay can restore and check it."""

    result: dict[str, Any]
    case_changes: dict[str, Any]
    # the business records the handler wrote, as stored (JSON-ready): recorded with the call
    # so `audit verify` can compare the rows with them, and handed back as is by a replay
    records: list[dict[str, Any]] = field(default_factory=list)


# What a case's invoker may answer: a plain result, or a result with case changes.
CaseInvoker = Callable[[Task, str, dict[str, Any]], "dict[str, Any] | HandlerOutcome"]


class ServiceTaskFailed(Exception):
    """A handler failed; carries the handler's own message (never spiff's NameError)."""

    def __init__(self, operator: str, message: str, error_type: str) -> None:
        super().__init__(message)
        self.operator = operator
        self.error_type = error_type


class InsurflowServiceTask(ServiceTask):
    """Stores the handler result decoded with our codec, so Decimal and date survive."""

    def _execute(self, task: Task) -> bool:
        result = task.workflow.script_engine.call_service(
            task,
            operation_name=self.operation_name,
            operation_params=self.evaluate_params(task),
        )
        task.data[self.result_variable] = values.loads(result)
        return True


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    def evaluate(self, expression: str, context: dict[str, Any],
                 external_context: dict[str, Any] | None = None) -> Any:
        return sandbox.evaluate(expression, context, external_context)

    def execute(self, script: str, context: dict[str, Any],
                external_context: dict[str, Any] | None = None) -> bool:
        sandbox.execute(script, context, external_context)
        return True


class InsurflowScriptEngine(PythonScriptEngine):
    """Sandboxed evaluation plus a call_service that reaches our handler registry."""

    def __init__(self, invoker: ServiceInvoker | None = None) -> None:
        super().__init__(environment=SandboxEnvironment())
        self.invoker = invoker

    def validate(self, expression: str) -> None:
        sandbox.check_source_cached(expression, "eval")

    def call_service(self, task: Task, **kwargs: Any) -> str:
        operator: str = kwargs["operation_name"]
        params = {name: spec["value"] for name, spec in kwargs["operation_params"].items()}
        if self.invoker is None:
            raise ServiceTaskFailed(operator, "no service invoker is configured", "ConfigError")
        return values.dumps(self.invoker(task, operator, params))


class InsurflowParser(SpiffBpmnParser):
    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        "{http://www.omg.org/spec/BPMN/20100524/MODEL}serviceTask": (
            ServiceTaskParser, InsurflowServiceTask),
    }


def make_serializer() -> BpmnWorkflowSerializer:
    config = dict(SPIFF_CONFIG)
    config[InsurflowServiceTask] = ServiceTaskConverter
    registry = BpmnWorkflowSerializer.configure(config)
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda d: Decimal(d["value"]))
    registry.register(date, lambda v: {"value": v.isoformat()},
                      lambda d: date.fromisoformat(d["value"]))
    return BpmnWorkflowSerializer(registry)


def spec_extensions(task_spec: BpmnTaskSpec) -> dict[str, Any]:
    return getattr(task_spec, "extensions", None) or {}


def spec_properties(task_spec: BpmnTaskSpec) -> dict[str, str]:
    props: dict[str, str] = spec_extensions(task_spec).get("properties", {})
    return props
