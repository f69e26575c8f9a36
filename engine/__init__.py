"""The facade over SpiffWorkflow: the only package that imports it.

- `discover` / `validate_bundle`: find process files and check them before deploy;
- `parse_bundle`: a deployed version's files -> a cached `ProcessDefinition`;
- `CaseRuntime`: start or restore a case, run it, complete user tasks, deliver messages,
  retry or skip a failed task, save it as rows.
"""

from .bundle import Problem, ProcessBundle, discover, form_path
from .definitions import (
    ProcessDefinition,
    lane_roles,
    parse_bundle,
    start_role,
    user_task_names,
)
from .errors import EngineError, EngineInvariantError, NotWaitingForMessage, TaskNotReady
from .retries import RetryPolicy
from .runtime import (
    SERIALIZER_VERSION,
    CaseRuntime,
    EngineEvent,
    IncidentInfo,
    RunResult,
    UserTaskInfo,
)
from .spiff import HandlerOutcome, ServiceTaskFailed
from .validation import start_form_keys, validate_bundle

__all__ = [
    "lane_roles",
    "start_role",
    "user_task_names",
    "SERIALIZER_VERSION",
    "CaseRuntime",
    "EngineError",
    "EngineEvent",
    "EngineInvariantError",
    "HandlerOutcome",
    "IncidentInfo",
    "NotWaitingForMessage",
    "Problem",
    "ProcessBundle",
    "ProcessDefinition",
    "RetryPolicy",
    "RunResult",
    "ServiceTaskFailed",
    "TaskNotReady",
    "UserTaskInfo",
    "discover",
    "form_path",
    "parse_bundle",
    "start_form_keys",
    "validate_bundle",
]
