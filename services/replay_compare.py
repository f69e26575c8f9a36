"""Comparing a replay with the record: each step's derived events, then the final state.

Every comparison is exact. Task ids are the one thing that cannot match (SpiffWorkflow makes
a random uuid per task), so a recorded id is paired with the replayed one the first time
both name the same event, and must stay paired after that.
"""

from __future__ import annotations

import json
from collections import Counter
from itertools import zip_longest
from typing import Any

from engine.replay import Snapshot
from engine.values import from_json_ready, to_json_ready

from .replay_case import CaseReplay, Produced
from .replay_history import Recorded, Step, StoredCase

SHOWN = 160  # characters of a value quoted in a sentence
Finding = tuple[int | None, str]  # the seq of the event a sentence names (None: the case)


def check_step(replay: CaseReplay, step: Step, produced: list[Produced]) -> Finding | None:
    """The first difference between the step's recorded and replayed events, as a sentence."""
    label, seq = step.input.label(), step.input.seq
    if replay.invoker.problems:
        return seq, f"{label}: {replay.invoker.problems[0]}"
    for recorded, made in zip_longest(step.derived(), produced):
        if recorded is None:
            kind, element_id, _ = made
            return seq, f"{label}: replay produced {kind} at {element_id or 'the case'}, " \
                        "which the history does not record"
        if made is None:
            return recorded.seq, f"{recorded.label()}: recorded, but the replay did not " \
                                 "produce it"
        problem = _compare_event(replay, recorded, made)
        if problem:
            return recorded.seq, f"{recorded.label()}: {problem}"
    unused = replay.invoker.unused()
    if unused:
        return seq, f"{label}: the history records a call of {unused[0].operator} at " \
                    f"{unused[0].element_id} that the replay did not make"
    return None


def _compare_event(replay: CaseReplay, recorded: Recorded, made: Produced) -> str | None:
    kind, element_id, payload = made
    if (recorded.kind, recorded.element_id) != (kind, element_id):
        why = f" ({payload.get('message')})" if kind == "incident_raised" else ""
        return f"replay produced {kind} at {element_id or 'the case'} instead{why}"
    expected = dict(recorded.payload)
    replayed = to_json_ready(payload)
    if "task_id" in replayed:
        problem = _pair_task(replay, str(expected.pop("task_id", "")),
                             str(replayed.pop("task_id")))
        if problem:
            return problem
    for name in sorted(set(expected) | set(replayed)):
        if expected.get(name) != replayed.get(name):
            return f"recorded {name} {_show(expected.get(name))}, replay produced " \
                   f"{_show(replayed.get(name))}"
    return None


def _pair_task(replay: CaseReplay, recorded_id: str, replayed_id: str) -> str | None:
    paired = replay.task_ids.setdefault(recorded_id, replayed_id)
    if paired != replayed_id:
        return f"the task {recorded_id} is a different task in the replay"
    return None


def check_final(replay: CaseReplay, stored: StoredCase, stored_state: Snapshot,
                replayed: Snapshot, writers: dict[str, Recorded]) -> list[Finding]:
    """Differences between the stored case and the replayed one, once every event ran."""
    case, found = stored.case, []
    if case.status != replay.status:
        found.append(f"case status: stored {case.status}, replayed {replay.status}")
    for name in ("business_key", "customer_name"):
        if getattr(case, name) != replay.identity[name]:
            found.append(f"{name.replace('_', ' ')}: stored {getattr(case, name)}, "
                         f"replayed {replay.identity[name]}")
    if stored.keys != replay.keys:
        found.append(f"correlation keys: stored {sorted(stored.keys)}, replayed "
                     f"{sorted(replay.keys)}")
    if Counter(stored_state.live) != Counter(replayed.live):
        found.append(f"live tasks: stored {_tasks(stored_state.live)}, replayed "
                     f"{_tasks(replayed.live)}")
    open_replayed = [(element, replay.assignees.get(task_id))
                     for task_id, element in replay.open_tasks.items()]
    if Counter(stored.open_tasks) != Counter(open_replayed):
        found.append(f"open human tasks: stored {_people(stored.open_tasks)}, replayed "
                     f"{_people(open_replayed)}")
    return data_differences(stored_state.data, replayed.data, writers) + \
        [(None, sentence) for sentence in found]


def data_differences(stored: dict[str, Any], replayed: dict[str, Any],
                     writers: dict[str, Recorded], only_results: bool = False
                     ) -> list[Finding]:
    """Fields that differ, each named after the event that wrote it in the replay.

    `only_results`: for a replay that stopped early, only fields a recorded handler result
    wrote (a later step may still have changed the others): where a diverging value came from.
    """
    stored_json, replayed_json = to_json_ready(stored), to_json_ready(replayed)
    found: list[Finding] = []
    for name in sorted(set(stored_json) | set(replayed_json)):
        before, after, writer = stored_json.get(name), replayed_json.get(name), writers.get(name)
        if before == after or only_results and (
                writer is None or writer.kind != "service_called" or name not in stored_json):
            continue
        prefix = f"{writer.label()}: " if writer is not None else ""
        if name not in replayed_json:
            text = f"stored {_show(before)}, the replay has no such field"
        elif name not in stored_json:
            text = f"not stored, replayed {_show(after)}"
        else:
            text = f"stored {_show(before)}, replayed {_show(after)}"
        found.append((writer.seq if writer else None, f"{prefix}case data field '{name}': {text}"))
    return found


def note_writers(writers: dict[str, Recorded], step: Step, before: dict[str, Any],
                 after: dict[str, Any]) -> None:
    """Remember which event of the step set each field it changed: a recorded handler result
    holding the value, else the submitted form, else the step's input."""
    for name, value in after.items():
        if name in before and before[name] == value:
            continue
        writers[name] = _writer(step, name, value)


def _writer(step: Step, name: str, value: Any) -> Recorded:
    for event in step.events:
        if event.kind == "service_called" and \
                from_json_ready(event.payload.get("result")) == value:
            return event
    return step.input


def _show(value: Any) -> str:
    text = json.dumps(from_json_ready(value), default=str, sort_keys=True) \
        if value is not None else "nothing"
    return text if len(text) <= SHOWN else text[:SHOWN] + "..."


def _tasks(live: list[tuple[str, str]]) -> str:
    return ", ".join(f"{element} ({state})" for element, state in sorted(live)) or "none"


def _people(tasks: list[tuple[str, str | None]]) -> str:
    return ", ".join(f"{element} ({who or 'unclaimed'})"
                     for element, who in sorted(tasks, key=lambda t: (t[0], t[1] or ""))) \
        or "none"
