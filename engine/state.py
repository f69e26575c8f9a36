"""Saving and restoring a workflow as rows, and pruning history out of the live task tree.

SpiffWorkflow keeps every task it ever ran in one tree, walks the whole tree on every step
and stops seeing tasks past depth 1000. Insurflow keeps history in the audit trail instead,
so after each run the tree is pruned to what the engine still needs: unfinished tasks, their
parents, subprocess owners and join bookkeeping. A step then costs the same at step 10 or
10,000, and each saved task is a row rewritten only when its content changed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.bpmn.workflow import BpmnSubWorkflow, BpmnWorkflow
from SpiffWorkflow.specs.WorkflowSpec import WorkflowSpec
from SpiffWorkflow.task import Task, TaskState
from SpiffWorkflow.workflow import Workflow

TOP = ""


@dataclass(frozen=True)
class TaskRow:
    workflow_key: str
    task_id: str
    position: int
    digest: str
    content: dict[str, Any]


@dataclass(frozen=True)
class SavedState:
    workflow_state: dict[str, Any]
    tasks: list[TaskRow]


def _digest(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _task_rows(serializer: BpmnWorkflowSerializer, wf: Workflow, key: str) -> list[TaskRow]:
    registry = serializer.registry
    rows = []
    for position, task in enumerate(_parent_first(wf)):
        content = registry.convert(task)
        content["data"] = registry.convert(content["data"])
        content["delta"] = registry.convert(content["delta"])
        rows.append(TaskRow(key, str(task.id), position, _digest(content), content))
    return rows


def _parent_first(wf: Workflow) -> list[Task]:
    ordered, stack = [], [wf.task_tree]
    while stack:
        task = stack.pop()
        ordered.append(task)
        stack.extend(reversed(task.children))
    return ordered


def _workflow_attrs(serializer: BpmnWorkflowSerializer, wf: Workflow) -> dict[str, Any]:
    registry = serializer.registry
    return {
        "data": registry.convert(registry.clean(wf.data)),
        "correlations": registry.convert(wf.correlations),
        "last_task": str(wf.last_task.id) if wf.last_task is not None else None,
        "success": wf.success,
        "completed": wf.completed,
        "root": str(wf.task_tree.id),
    }


def dump(serializer: BpmnWorkflowSerializer, wf: BpmnWorkflow) -> SavedState:
    state = _workflow_attrs(serializer, wf)
    state["bpmn_events"] = serializer.registry.convert(wf.bpmn_events)
    state["subprocesses"] = {}
    rows = _task_rows(serializer, wf, TOP)
    for task_id, sub in wf.subprocesses.items():
        attrs = _workflow_attrs(serializer, sub)
        attrs["spec"] = sub.spec.name
        attrs["parent_task_id"] = str(sub.parent_task_id)
        state["subprocesses"][str(task_id)] = attrs
        rows += _task_rows(serializer, sub, str(task_id))
    return SavedState(state, rows)


def _restore_tasks(serializer: BpmnWorkflowSerializer, wf: Workflow,
                   rows: list[dict[str, Any]]) -> None:
    wf.tasks = {}
    for content in rows:
        serializer.registry.restore(content, workflow=wf)
    # Task() registers itself in workflow.tasks as it is created.


def _apply_attrs(serializer: BpmnWorkflowSerializer, wf: Workflow, attrs: dict[str, Any]) -> None:
    wf.task_tree = wf.tasks[UUID(attrs["root"])]
    wf.success = attrs["success"]
    wf.completed = attrs["completed"]
    wf.correlations = serializer.registry.restore(attrs["correlations"])
    wf.last_task = wf.tasks.get(UUID(attrs["last_task"])) if attrs["last_task"] else None
    wf.data = serializer.registry.restore(attrs["data"])


def load(serializer: BpmnWorkflowSerializer, spec: WorkflowSpec, subprocess_specs: dict[str, Any],
         state: dict[str, Any], rows_by_workflow: dict[str, list[dict[str, Any]]],
         script_engine: Any) -> BpmnWorkflow:
    """Rebuild a workflow from saved rows; specs come from the cached parse of its version."""
    wf = BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine, deserializing=True)
    _restore_tasks(serializer, wf, rows_by_workflow.get(TOP, []))
    _apply_attrs(serializer, wf, state)
    wf.bpmn_events = serializer.registry.restore(state.get("bpmn_events", []))
    _restore_subprocesses(serializer, wf, wf, state.get("subprocesses", {}), rows_by_workflow)
    return wf


def _restore_subprocesses(serializer: BpmnWorkflowSerializer, top: BpmnWorkflow, parent: Workflow,
                          attrs_by_id: dict[str, Any],
                          rows_by_workflow: dict[str, list[dict[str, Any]]]) -> None:
    for task in list(parent.tasks.values()):
        key = str(task.id)
        if not isinstance(task.task_spec, SubWorkflowTask) or key not in attrs_by_id:
            continue
        attrs = attrs_by_id[key]
        sub = BpmnSubWorkflow(top.subprocess_specs[task.task_spec.spec], task.id, top,
                              deserializing=True)
        _restore_tasks(serializer, sub, rows_by_workflow.get(key, []))
        _apply_attrs(serializer, sub, attrs)
        top.subprocesses[task.id] = sub
        sub.completed_event.connect(task.task_spec._on_subworkflow_completed, task)
        _restore_subprocesses(serializer, top, sub, attrs_by_id, rows_by_workflow)


def prune(top: BpmnWorkflow) -> int:
    """Drop finished history the engine no longer reads; returns how many tasks were dropped."""
    dropped = _prune_one(top, set(top.subprocesses))
    for sub in top.subprocesses.values():
        dropped += _prune_one(sub, set(top.subprocesses))
    return dropped


def _needed(wf: Workflow, owners: set[UUID]) -> set[UUID]:
    needed = {wf.task_tree.id}
    completed_joins: dict[str, float] = {}
    for task in wf.tasks.values():
        if isinstance(task.task_spec, UnstructuredJoin) and task.state == TaskState.COMPLETED:
            name = task.task_spec.name
            completed_joins[name] = max(completed_joins.get(name, 0.0), task.last_state_change)
    for task in wf.tasks.values():
        parent = task.parent
        live = not task.has_state(TaskState.FINISHED_MASK)
        join_pending = isinstance(task.task_spec, UnstructuredJoin) and (
            task.last_state_change >= completed_joins.get(task.task_spec.name, -1.0))
        loop_child = parent is not None and isinstance(parent.task_spec, LoopTask) and \
            not parent.has_state(TaskState.FINISHED_MASK)
        if live or join_pending or loop_child or task.id in owners:
            needed.add(task.id)
            if parent is not None:
                needed.add(parent.id)
    return needed


def _prune_one(wf: Workflow, owners: set[UUID]) -> int:
    needed = _needed(wf, owners)
    if len(needed) == len(wf.tasks):
        return 0
    new_children: dict[UUID, list[UUID]] = {task_id: [] for task_id in needed}

    stack = [(wf.task_tree, wf.task_tree.id)]
    while stack:  # iterative: a legacy tree may be deeper than Python's recursion limit
        task, keeper = stack.pop()
        for child in task.children:
            if child.id in needed:
                new_children[keeper].append(child.id)
                child._parent = keeper
                stack.append((child, child.id))
            else:
                stack.append((child, keeper))
    unneeded = [task_id for task_id in wf.tasks if task_id not in needed]
    for task_id in unneeded:
        del wf.tasks[task_id]
    for task_id, children in new_children.items():
        wf.tasks[task_id]._children = children
    return len(unneeded)
