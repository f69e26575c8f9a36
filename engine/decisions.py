"""What a decision table saw and matched, for the audit trail (evaluated before it runs)."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.task import Task


def decision_inputs(task: Task) -> dict[str, Any]:
    engine = task.task_spec.dmnEngine
    table = engine.decision_table
    script_engine = task.workflow.script_engine
    inputs = {}
    for column in table.inputs:
        label = column.label or column.name or column.expression
        try:
            inputs[label] = script_engine.evaluate(task, column.expression)
        except Exception:  # noqa: BLE001 - the real evaluation will raise the incident
            inputs[label] = None
    try:
        matched = [{"row": r.row_number, "rule_id": r.id, "description": r.description}
                   for r in engine.decide(task)]
    except Exception:  # noqa: BLE001
        matched = []
    return {"decision_id": table.id, "decision_name": table.name, "inputs": inputs,
            "matched_rules": matched}
