"""Timers read Insurflow's clock, and the engine says when a case's next timer is due.

SpiffWorkflow's timer event definitions call `datetime.now(timezone.utc)` directly, so a
timer would follow the wall clock while everything else (due dates, audit times, handler
`now`) follows `engine.clock.current_time`. Tests move that clock instead of sleeping, and a
worker must decide "is it due?" with the same clock that computed the due time. We therefore
replace the `datetime` name inside that one module with a subclass whose `now()` reads our
clock; every other use of `datetime` there (fromisoformat, combine) is unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.task import Task

from .clock import current_time


class _EngineClockDatetime(datetime):
    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _EngineClockDatetime:
        now = current_time()
        now = now.astimezone(tz) if tz is not None else now.replace(tzinfo=None)
        return cls.combine(now.date(), now.time(), now.tzinfo)


def install() -> None:
    """Idempotent: point SpiffWorkflow's timer module at our clock."""
    spiff_timer.datetime = _EngineClockDatetime  # type: ignore[misc]


install()


def timer_due_at(task: Task) -> datetime | None:
    """When a waiting timer event fires, or None for other tasks (or a timer not armed)."""
    definition = getattr(task.task_spec, "event_definition", None)
    if not isinstance(definition, TimerEventDefinition):
        return None
    value: Any = task._get_internal_data("event_value")
    if isinstance(value, dict):  # cycle timer
        value = value.get("next")
    if not isinstance(value, str):
        return None
    try:
        at = TimerEventDefinition.get_datetime(value)
    except ValueError:
        return None
    return datetime.fromtimestamp(at.timestamp(), UTC)  # a plain datetime, not our subclass
