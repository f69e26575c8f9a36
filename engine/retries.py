"""Retry policy of a service task, read from its BPMN properties, and background marking.

`<spiffworkflow:property name="retry" value="3"/>` is the total number of attempts (1 means
no retry); `retryBackoff` (ISO 8601 duration, default PT30S) is the wait before the second
attempt, doubled before each further one. `background="true"` makes the engine stop before
the task so a worker runs it (the web request that reached it returns at once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.bpmn_task_spec import BpmnTaskSpec

from .durations import parse_duration
from .spiff import InsurflowServiceTask, spec_properties

DEFAULT_ATTEMPTS = 3
DEFAULT_BACKOFF = timedelta(seconds=30)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int
    backoff: timedelta

    def delay_after(self, attempt: int) -> timedelta:
        """Wait after failed attempt number `attempt` (1-based): backoff, 2x, 4x, ..."""
        return self.backoff * (2 ** max(attempt - 1, 0))


NO_RETRY = RetryPolicy(1, DEFAULT_BACKOFF)


def retry_policy(spec: BpmnTaskSpec) -> RetryPolicy:
    props = spec_properties(spec)
    attempts = int(props.get("retry", DEFAULT_ATTEMPTS))
    backoff = props.get("retryBackoff")
    return RetryPolicy(max(attempts, 1), parse_duration(backoff) if backoff else DEFAULT_BACKOFF)


def mark_background_tasks(specs: dict[str, Any]) -> None:
    """Service tasks with background="true" become manual: only a worker runs them."""
    for spec in specs.values():
        if isinstance(spec, InsurflowServiceTask) and \
                spec_properties(spec).get("background", "").lower() == "true":
            spec.manual = True

