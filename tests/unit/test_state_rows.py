"""engine/state.py's fast paths write and read exactly what SpiffWorkflow's registry does.

Stored rows must not change (their digests are compared with what is in the database) and a
restored workflow must be the same object graph either way, so each check runs a case through
shapes the real processes use and some they do not yet (a subprocess, a parallel
multi-instance task, a waiting timer, nested data, Decimal and date values) and compares the
fast path with the registry path at every wait state.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from engine import CaseRuntime, ProcessBundle, parse_bundle, state
from engine.definitions import ProcessDefinition
from engine.runtime import _SERIALIZER
from engine.spiff import make_serializer

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs"
    targetNamespace="http://insurflow.test">
  <bpmn:process id="shapes" isExecutable="true">
    <bpmn:startEvent id="begin"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:parallelGateway id="fork">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:parallelGateway>
    <bpmn:userTask id="review" name="Review each">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
      <bpmn:multiInstanceLoopCharacteristics>
        <bpmn:loopDataInputRef>items</bpmn:loopDataInputRef>
        <bpmn:loopDataOutputRef>results</bpmn:loopDataOutputRef>
        <bpmn:inputDataItem id="item" name="item" />
        <bpmn:outputDataItem id="verdict" name="verdict" />
      </bpmn:multiInstanceLoopCharacteristics>
    </bpmn:userTask>
    <bpmn:subProcess id="inner">
      <bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing>
      <bpmn:startEvent id="inner_begin"><bpmn:outgoing>g1</bpmn:outgoing></bpmn:startEvent>
      <bpmn:userTask id="inner_task"><bpmn:incoming>g1</bpmn:incoming>
        <bpmn:outgoing>g2</bpmn:outgoing></bpmn:userTask>
      <bpmn:endEvent id="inner_end"><bpmn:incoming>g2</bpmn:incoming></bpmn:endEvent>
      <bpmn:sequenceFlow id="g1" sourceRef="inner_begin" targetRef="inner_task" />
      <bpmn:sequenceFlow id="g2" sourceRef="inner_task" targetRef="inner_end" />
    </bpmn:subProcess>
    <bpmn:userTask id="final"><bpmn:incoming>f5</bpmn:incoming>
      <bpmn:outgoing>f6</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="done"><bpmn:incoming>f6</bpmn:incoming></bpmn:endEvent>
    <bpmn:intermediateCatchEvent id="later">
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f7</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>"PT1H"</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="later_end"><bpmn:incoming>f7</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="begin" targetRef="fork" />
    <bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="review" />
    <bpmn:sequenceFlow id="f3" sourceRef="fork" targetRef="later" />
    <bpmn:sequenceFlow id="f4" sourceRef="review" targetRef="inner" />
    <bpmn:sequenceFlow id="f5" sourceRef="inner" targetRef="final" />
    <bpmn:sequenceFlow id="f6" sourceRef="final" targetRef="done" />
    <bpmn:sequenceFlow id="f7" sourceRef="later" targetRef="later_end" />
  </bpmn:process>
</bpmn:definitions>
"""

START = {"items": [1, 2], "amount": Decimal("12.50"), "born": date(1985, 6, 1),
         "party": {"name": "Ana", "address": {"city": "Taipei", "lines": ["1 Road"]}},
         "tags": ["a", "b"], "note": None, "flag": True, "count": 3, "ratio": 0.5}


@pytest.fixture(scope="module")
def definition() -> ProcessDefinition:
    return parse_bundle(ProcessBundle("shapes", "Shapes", "shapes.bpmn", {"shapes.bpmn": BPMN}))


def _wait_states(definition: ProcessDefinition) -> Iterator[CaseRuntime]:
    """The case at each wait state, completing one ready user task between them."""
    runtime = CaseRuntime.start(definition, START, None)
    runtime.run()
    yield runtime
    step = 0
    while ready := runtime.ready_user_tasks():
        step += 1
        answer = {"verdict": {"ok": step % 2 == 0, "at": date(2026, 1, step)},
                  "amount": Decimal(step), "party": {"name": f"Ana {step}"}}
        if step == 2:
            answer["tags"] = ["a"]  # a changed list; `note` deleted below
        runtime.complete_user_task(ready[-1].task_id, answer)
        if step == 1:
            for task in runtime._all_tasks():
                task.data.pop("note", None)
        yield runtime


def _registry_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(state, "_fast_registry", lambda registry: False)
    monkeypatch.setattr(state, "_fast_restore", lambda registry: False)


def _text(saved: state.SavedState) -> str:
    """The rows as written: key order and value types count, not only equality."""
    return json.dumps([saved.workflow_state] + [
        [r.workflow_key, r.task_id, r.digest, r.content] for r in saved.tasks])


def _digests(saved: state.SavedState) -> list[tuple[str, str, str]]:
    return [(r.workflow_key, r.task_id, r.digest) for r in saved.tasks]


def _rows(saved: state.SavedState) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {}
    for row in saved.tasks:
        rows.setdefault(row.workflow_key, []).append(json.loads(json.dumps(row.content)))
    return rows


def _load(definition: ProcessDefinition, saved: state.SavedState) -> Any:
    ws = json.loads(json.dumps(saved.workflow_state))  # as read back from the database
    return state.load(_SERIALIZER, definition.spec, definition.subprocess_specs, ws,
                      _rows(saved), None)


def _graph(wf: Any) -> list[Any]:
    """The restored workflows as an object graph: every task's attributes and data, with
    each container numbered by first sight, so shared and copied containers show."""
    seen: dict[int, int] = {}
    out: list[Any] = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, (dict, list, set, tuple)):
            number = seen.setdefault(id(value), len(seen))
            out.append((path, type(value).__name__, number))
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                walk(item, f"{path}/{key!r}")
        else:
            out.append((path, type(value).__name__, repr(value)))

    workflows = [wf] + [wf.subprocesses[key] for key in sorted(wf.subprocesses)]
    for flow in workflows:
        out.append(("workflow", str(flow.task_tree.id), flow.success, flow.completed,
                    str(flow.last_task.id) if flow.last_task else None, sorted(flow.tasks)))
        walk(flow.data, "workflow.data")
        for task in flow.tasks.values():
            out.append((str(task.id), task._parent, list(task._children), task.state,
                        task.last_state_change, task.triggered, task.task_spec.name,
                        task.thread_id, type(task).__name__))
            walk(task.internal_data, f"{task.id}.internal")
            walk(task.data, f"{task.id}.data")
    out.append(sorted(str(k) for k in wf.event_manager.tasks))
    out.append(sorted(str(k) for k in wf.subprocesses))
    return out


def test_fast_paths_are_in_use(definition: ProcessDefinition) -> None:
    assert state._fast_registry(_SERIALIZER.registry)
    assert state._fast_restore(_SERIALIZER.registry)


def test_dump_writes_what_the_registry_writes(definition: ProcessDefinition,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    keys: set[str] = set()
    for runtime in _wait_states(definition):
        fast = _text(state.dump(_SERIALIZER, runtime.workflow))
        with monkeypatch.context() as patch:
            _registry_only(patch)
            assert _text(state.dump(_SERIALIZER, runtime.workflow)) == fast
        keys.update(_rows(state.dump(_SERIALIZER, runtime.workflow)))
    assert len(keys) > 1, "the case never had a subprocess row"


def test_load_restores_what_the_registry_restores(definition: ProcessDefinition,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    waiting = 0
    for runtime in _wait_states(definition):
        saved = state.dump(_SERIALIZER, runtime.workflow)
        fast = _load(definition, saved)
        with monkeypatch.context() as patch:
            _registry_only(patch)
            slow = _load(definition, saved)
        assert _graph(fast) == _graph(slow)
        again = state.dump(_SERIALIZER, fast)
        assert _text(again) == _text(state.dump(_SERIALIZER, slow))
        # restored data may list its keys in another order; the digests do not see it
        assert _digests(again) == _digests(saved)
        waiting += len(fast.event_manager.tasks)
    assert waiting, "no waiting event was restored"


def test_restored_data_shares_nothing_with_the_rows(definition: ProcessDefinition) -> None:
    runtime = next(_wait_states(definition))
    saved = state.dump(_SERIALIZER, runtime.workflow)
    rows = _rows(saved)
    before = json.dumps(rows)
    wf = state.load(_SERIALIZER, definition.spec, definition.subprocess_specs,
                    saved.workflow_state, rows, None)
    changed = 0
    for task in wf.tasks.values():
        task.internal_data["x"] = 1
        if "party" in task.data:
            task.data["party"]["address"]["lines"].append("changed")
            changed += 1
    assert changed and json.dumps(rows) == before


def test_a_customised_task_converter_is_used_as_is(definition: ProcessDefinition) -> None:
    serializer = make_serializer()

    class Tagged(state.TaskConverter):  # type: ignore[misc]
        def to_dict(self, task: Any) -> dict[str, Any]:
            return {**super().to_dict(task), "tagged": True}

        def from_dict(self, dct: dict[str, Any], workflow: Any) -> Any:
            task = super().from_dict(dct, workflow)
            task.tagged = dct["tagged"]
            return task

    Tagged(state.Task, serializer.registry)
    assert not state._fast_registry(serializer.registry)
    assert not state._fast_restore(serializer.registry)
    runtime = next(_wait_states(definition))
    saved = state.dump(serializer, runtime.workflow)
    assert saved.tasks and all(row.content["tagged"] for row in saved.tasks)
    wf = state.load(serializer, definition.spec, definition.subprocess_specs,
                    saved.workflow_state, _rows(saved), None)
    assert all(task.tagged for task in wf.tasks.values())



def test_a_task_without_data_does_not_follow_its_parents_data(
        definition: ProcessDefinition) -> None:
    """A predicted task (no data of its own) is stored as plain empty data: its row stays the
    same when its parent's data changes, and it restores as an empty dict."""
    runtime = next(_wait_states(definition))
    wf = runtime.workflow
    empty = [task for task in wf.get_tasks() if task.parent is not None and not task.data
             and task.parent.data]
    assert empty, "the case has no task without data under a parent with data"
    before = {row.task_id: row for row in state.dump(_SERIALIZER, wf).tasks}
    for task in empty:
        task.parent.data = {**task.parent.data, "added_later": 1}
    saved = state.dump(_SERIALIZER, wf)
    restored = _load(definition, saved)
    for task in empty:
        row = next(row for row in saved.tasks if row.task_id == str(task.id))
        assert row.content["delta"] == {} and row.content["data"] == {}
        assert row.digest == before[row.task_id].digest
        assert restored.get_task_from_id(task.id).data == {}
