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
from copy import copy
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import TaskConverter
from SpiffWorkflow.bpmn.serializer.helpers.registry import DefaultRegistry
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.bpmn.workflow import BpmnSubWorkflow, BpmnWorkflow
from SpiffWorkflow.specs.WorkflowSpec import WorkflowSpec
from SpiffWorkflow.task import Task, TaskState
from SpiffWorkflow.workflow import Workflow

from .errors import EngineInvariantError

TOP = ""


@dataclass(frozen=True)
class TaskRow:
    workflow_key: str
    task_id: str
    digest: str
    content: dict[str, Any]
    # `content` as canonical JSON: the digest is taken of it, and it is what gets stored
    text: str = field(repr=False, compare=False)


@dataclass(frozen=True)
class SavedState:
    workflow_state: dict[str, Any]
    tasks: list[TaskRow]


# The digest of a row: stored with it, so this exact text must not change (an unchanged task
# would otherwise read as changed and every row would be rewritten once). One encoder, built
# once, writes what json.dumps(content, sort_keys=True, separators=(",", ":")) did. Rows hold
# JSON values only (the serializer's converters see to that); anything else is an error.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"))


def _row(key: str, task_id: str, content: dict[str, Any]) -> TaskRow:
    text = _CANONICAL.encode(content)
    digest = hashlib.sha256(text.encode()).hexdigest()
    return TaskRow(key, task_id, digest, content, text)


def _without_parent_delta(task: Task, content: dict[str, Any]) -> dict[str, Any]:
    """A child task with no data at all (a predicted one, most often) is stored as plain
    empty data, not as "delete every key of the parent": both restore as an empty dict, but
    the delta form changes, and the row is rewritten, whenever the parent's data does."""
    if not task.data and task._parent is not None and content.get("delta"):
        content["delta"] = {}
    return content


def _task_rows(serializer: BpmnWorkflowSerializer, wf: Workflow, key: str) -> list[TaskRow]:
    """Rows parent first, the order a restore walks them in (see `_tree_order`)."""
    registry = serializer.registry
    fast = _fast_registry(registry)
    rows: list[TaskRow] = []
    # (task, the text of its id if known, its parent in the walk and that parent's id text)
    stack: list[tuple[Task, str | None, Task | None, str | None]] = [
        (wf.task_tree, None, None, None)]
    while stack:
        task, text, walker, walker_text = stack.pop()
        texts: list[str | None]
        if fast and task.__class__ is Task:
            content = _task_content(registry, task, text, walker, walker_text)
            task_id, texts = content["id"], content["children"]
        else:
            content = _registry_task_content(registry, task)
            task_id, texts = str(task.id), [None] * len(task._children)
        rows.append(_row(key, task_id, _without_parent_delta(task, content)))
        ids = task._children
        for index in range(len(ids) - 1, -1, -1):
            child = wf.tasks[ids[index]]
            stack.append((child, texts[index] if child.id is ids[index] else None,
                          task, task_id))
    return rows


def _registry_task_content(registry: DefaultRegistry, task: Task) -> dict[str, Any]:
    """A task row as SpiffWorkflow's registry writes it: the format of every stored row."""
    content: dict[str, Any] = registry.convert(task)
    content["data"] = registry.convert(content["data"])
    content["delta"] = registry.convert(content["delta"])
    return content


def _fast_registry(registry: Any) -> bool:
    """Whether `_task_content` writes what `_registry_task_content` would: SpiffWorkflow's own
    registry and task converter, not customised ones (then the registry itself is used)."""
    to_dict = registry.convert_to_dict.get(registry.typenames.get(Task))
    method: Any = (*getattr(to_dict, "args", ()), None, None)[1]  # partial(_, typename, method)
    return (type(registry) is DefaultRegistry and not registry._encoder_mode
            and registry.typenames.get(Task) == "Task"
            and getattr(method, "__func__", None) is TaskConverter.to_dict
            and method.__self__.registry is registry)


_PLAIN = frozenset({str, int, float, bool, type(None)})


def _task_content(registry: DefaultRegistry, task: Task, text: str | None,
                  walker: Task | None, walker_text: str | None) -> dict[str, Any]:
    """`_registry_task_content` without its generic dispatch: same keys, same order, same
    values (TaskConverter.to_dict, its typename, then data and delta converted once).

    A task's id is also in its parent's row (as a child) and in its children's rows (as
    their parent): `text`, `walker` and `walker_text` let the same UUID object be turned
    into text once instead of three times."""
    parent = task.parent
    if parent is None:
        data, delta = _json_ready(registry, task.data), {}
        parent_text = None
    else:
        # DeepMerge.get_updated_keys / get_deleted_keys, as TaskConverter computes them
        before, own = parent.data, task.data
        data = {}
        delta = {
            "updates": _json_ready(registry, {
                key: own[key] for key in own if key not in before or own[key] != before[key]}),
            "deletions": _json_ready(registry, [key for key in before if key not in own]),
        }
        if walker is not None and walker_text is not None and task._parent is walker.id:
            parent_text = walker_text
        else:
            parent_text = str(task._parent)
    return {
        "id": text if text is not None else str(task.id),
        "parent": parent_text,
        "children": [str(child) for child in task._children],
        "last_state_change": task.last_state_change,
        "state": task._state,
        "task_spec": task.task_spec.name,
        "triggered": task.triggered,
        "internal_data": _json_ready(registry, task.internal_data),
        "data": data,
        "delta": delta,
        "typename": "Task",
    }


def _json_ready(registry: DefaultRegistry, value: Any) -> Any:
    """registry.convert(value), with plain values, dicts and lists handled here: the registry
    dispatches every nested value through three Python calls, which is most of a dump."""
    cls = value.__class__
    if cls in _PLAIN:
        return value
    if cls is dict:
        return {key: item if item.__class__ in _PLAIN else _json_ready(registry, item)
                for key, item in value.items()
                if item.__class__ in _PLAIN
                or not (callable(item) or isinstance(item, ModuleType))}
    if cls is list:
        return [item if item.__class__ in _PLAIN else _json_ready(registry, item)
                for item in value]
    return registry.convert(value)


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


def _tree_order(rows: list[dict[str, Any]], root: str) -> list[dict[str, Any]]:
    """The rows in the order `_task_rows` wrote them (parent first, children in order),
    rebuilt from their links: rows are stored without a position, so a row that only moved
    in that order is not rewritten."""
    by_id = {row["id"]: row for row in rows}
    ordered: list[dict[str, Any]] = []
    stack = [root]
    while stack:
        task_id = stack.pop()
        row = by_id.pop(task_id, None)
        if row is None:
            raise EngineInvariantError(f"the saved task tree has no row for task {task_id}")
        ordered.append(row)
        stack.extend(reversed(row["children"]))
    if by_id:
        raise EngineInvariantError(
            f"{len(by_id)} saved task rows are not in the task tree, e.g. {next(iter(by_id))}")
    return ordered


def _restore_tasks(serializer: BpmnWorkflowSerializer, wf: Workflow,
                   rows: list[dict[str, Any]]) -> None:
    wf.tasks = {}
    registry = serializer.registry
    fast = _fast_restore(registry)
    uuids: dict[str, UUID] = {}
    for content in rows:  # parent first: a task's data is rebuilt from its parent's
        if fast and content.get("typename") == "Task":
            _restore_task(registry, wf, content, uuids)
        else:
            registry.restore(content, workflow=wf)
    # Task() registers itself in workflow.tasks as it is created.


def _fast_restore(registry: Any) -> bool:
    """Whether `_restore_task` does what the registry would: SpiffWorkflow's own registry and
    task converter (into a plain Task), not customised ones (then the registry is used)."""
    from_dict = registry.convert_from_dict.get("Task")
    method: Any = (*getattr(from_dict, "args", ()), None)[0]  # partial(_, method)
    return (type(registry) is DefaultRegistry
            and getattr(method, "__func__", None) is TaskConverter.from_dict
            and method.__self__.target_class is Task and method.__self__.registry is registry)


def _restore_task(registry: DefaultRegistry, wf: Workflow, content: dict[str, Any],
                  uuids: dict[str, UUID]) -> None:
    """TaskConverter.from_dict without the registry's dispatch and copy of the row, and with
    each task id parsed once (it appears as an id, a parent and a child)."""
    task_spec = wf.spec.task_specs.get(content["task_spec"])
    task = Task(wf, task_spec, state=content["state"], id=_uuid(uuids, content["id"]))
    parent_id = content["parent"]
    task._parent = _uuid(uuids, parent_id) if parent_id is not None else None
    task._children = [_uuid(uuids, child) for child in content["children"]]
    task.last_state_change = content["last_state_change"]
    task.triggered = content["triggered"]
    task.internal_data = _restored(registry, content["internal_data"])
    if isinstance(task_spec, CatchingEvent) and task.has_state(TaskState.WAITING):
        wf.top_workflow.event_manager.add_task(task)
    delta = content.get("delta")
    parent = task.parent
    if delta and parent is not None:
        # DeepMerge.merge({}, parent.data) (a shallow copy of each container value), then the
        # updates, less the deletions: a predicted task deletes all its parent's keys, so
        # those are left out of the copy instead of copied and deleted.
        gone = delta.get("deletions", {})
        skip = set(gone) if gone else ()
        data = {key: copy(value) if isinstance(value, (dict, list, set)) else value
                for key, value in parent.data.items() if key not in skip}
        data.update(_restored(registry, delta.get("updates", {})))
        for key in gone:
            if key in data:  # only if the updates brought it back
                del data[key]
    else:
        data = _restored(registry, content["data"])
    task.data = data


def _uuid(uuids: dict[str, UUID], text: str) -> UUID:
    known = uuids.get(text)
    if known is None:
        known = uuids[text] = UUID(text)
    return known


def _restored(registry: DefaultRegistry, value: Any) -> Any:
    """registry.restore(value), with plain values, dicts and lists handled here."""
    cls = value.__class__
    if cls in _PLAIN:
        return value
    if cls is dict:
        if "typename" in value:
            return registry.restore(value)
        return {key: item if item.__class__ in _PLAIN else _restored(registry, item)
                for key, item in value.items()}
    if cls is list:
        return [item if item.__class__ in _PLAIN else _restored(registry, item)
                for item in value]
    return registry.restore(value)


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
    _restore_tasks(serializer, wf, _tree_order(rows_by_workflow.get(TOP, []), state["root"]))
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
        _restore_tasks(serializer, sub, _tree_order(rows_by_workflow.get(key, []), attrs["root"]))
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
