"""A decision as an auditor reads it: the table and its version, the inputs it was given,
the rule(s) that matched and the outputs.

The audit event records what the engine saw (inputs, matched rules, outputs) and the
table's id; the table itself comes from the DMN file of the case's own process version.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.decision_table import DecisionTable, TableRule, find_decision_table


@dataclass(frozen=True)
class DecisionDetail:
    table_ref: str  # the id recorded in the event
    name: str
    table: DecisionTable | None  # None when no DMN file of the version defines it
    dmn_sha256: str | None
    # (label or name, value) in the table's column order
    inputs: list[tuple[str, Any]]
    outputs: list[tuple[str, Any]]
    matched: list[dict[str, Any]] = field(default_factory=list)

    def is_match(self, rule: TableRule) -> bool:
        return any(m.get("rule_id") == rule.rule_id or m.get("row") == rule.row
                   for m in self.matched)

    @property
    def matched_rows(self) -> list[str]:
        return [str(m.get("row")) for m in self.matched]


class DecisionReader:
    """Finds each table once per page, however many decisions the case took."""

    def __init__(self, dmn_files: Mapping[str, str], digests: Mapping[str, str]) -> None:
        self._files = dmn_files
        self._digests = digests
        self._tables: dict[str, DecisionTable | None] = {}

    def detail(self, payload: dict[str, Any]) -> DecisionDetail:
        """`payload`: the decision_evaluated event's payload, ready for display."""
        ref = str(payload.get("decision_id") or "")
        if ref not in self._tables:
            self._tables[ref] = find_decision_table(self._files, ref)
        table = self._tables[ref]
        name = (table.name if table else "") or str(payload.get("decision_name") or ref)
        return DecisionDetail(
            table_ref=ref, name=name, table=table,
            dmn_sha256=self._digests.get(table.path) if table else None,
            inputs=_in_order(payload.get("inputs") or {},
                             [c.label for c in table.inputs] if table else []),
            outputs=_in_order(payload.get("outputs") or {},
                              [c.expression for c in table.outputs] if table else []),
            matched=[dict(rule) for rule in payload.get("matched_rules") or []])


def _in_order(found: dict[str, Any], columns: list[str]) -> list[tuple[str, Any]]:
    """The table's columns first, in its order (JSONB does not keep key order), then others."""
    ordered = [name for name in columns if name in found]
    ordered += sorted(name for name in found if name not in ordered)
    return [(name, found[name]) for name in ordered]
