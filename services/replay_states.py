"""The state each event of a replayed step shows: where the case stood when it was recorded.

A step is one input and the events the engine recorded while it ran on from it. The runtime
notes a moment each time it completes an element an event is about (engine/replay.py), so:

- an engine event (a service call, a decision, a gateway, an end, a timer that fired) shows
  the moment of its element: the data right after it completed, that element as current;
- the input shows the moment it made (a submitted form merged in with its task current, a
  message caught, the start data) or, when it made none (a worker run, a retry, a claim),
  the state before the step;
- the rest (tasks becoming ready, the case completing, an incident, a retry scheduled)
  shows the state after the whole run, which is what replay compares with the stored case.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from engine.replay import Moment

from .replay_history import ENGINE_INPUTS, Recorded, Step

# Events recorded at an element the engine completed: each has a moment of its own.
AT_A_MOMENT = frozenset({"service_called", "decision_evaluated", "gateway_passed",
                         "end_reached", "timer_fired"})
# Inputs completed at their element (a form's task, a message's or a timer's catching event).
INPUT_AT_A_MOMENT = frozenset({"task_completed", "message_received", "timer_fired"})


@dataclass(frozen=True)
class ReplayStep:
    seq: int                      # the audit event at which this state holds
    kind: str                     # that event's kind
    data: dict[str, Any]          # case data at the event
    completed: list[str]          # element ids completed so far (in order)
    current: list[str]            # element ids ready or waiting then (or the one just done)
    at: str = "after"             # "element": right after `current` completed; "before": the
                                  # input came, the engine not yet run; "after": the run ended


def step_states(step: Step, moments: list[Moment], previous: ReplayStep | None,
                after: ReplayStep, to_seq: int | None) -> list[ReplayStep]:
    """One state per event of the step (up to `to_seq`); `after` is the state after the run
    (its seq and kind are replaced), `previous` the last state before the step."""
    waiting: dict[str, deque[Moment]] = {}
    for noted in moments:
        waiting.setdefault(noted.element_id, deque()).append(noted)
    states = []
    for event in step.events:
        if to_seq is not None and event.seq > to_seq:
            break
        moment = _moment_of(event, event is step.input, moments, waiting)
        if moment is not None:
            states.append(ReplayStep(event.seq, event.kind, moment.data, moment.completed,
                                     [moment.element_id], "element"))
        elif event is step.input and event.kind in ENGINE_INPUTS:
            base = previous or ReplayStep(0, "", {}, [], [])
            states.append(ReplayStep(event.seq, event.kind, base.data, base.completed,
                                     base.current, "before"))
        else:
            states.append(ReplayStep(event.seq, event.kind, after.data, after.completed,
                                     after.current))
    return states


def _moment_of(event: Recorded, is_input: bool, moments: list[Moment],
               waiting: dict[str, deque[Moment]]) -> Moment | None:
    if is_input and event.kind == "case_started":
        started = next((m for m in moments if m.started), None)
        if started is not None:
            waiting[started.element_id].remove(started)
        return started
    if event.kind not in (INPUT_AT_A_MOMENT if is_input else AT_A_MOMENT):
        return None
    queue = waiting.get(event.element_id or "")
    return queue.popleft() if queue else None
