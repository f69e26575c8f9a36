"""A DMN decision table as rows and columns, to show an auditor the table a case used.

Read with the safe XML parser from the stored file of the case's own process version (no
SpiffWorkflow needed): the rules are shown exactly as they were deployed, not as they read
today.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lxml import etree

from .xml import parse_xml


@dataclass(frozen=True)
class TableColumn:
    label: str
    # the FEEL/Python expression of an input, or the variable name of an output
    expression: str


@dataclass(frozen=True)
class TableRule:
    row: int  # 1-based, as the engine numbers matched rules
    rule_id: str
    description: str
    input_entries: list[str]
    output_entries: list[str]


@dataclass(frozen=True)
class DecisionTable:
    path: str  # the DMN file inside the process version
    table_id: str
    decision_id: str
    name: str
    hit_policy: str
    inputs: list[TableColumn]
    outputs: list[TableColumn]
    rules: list[TableRule]


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _children(element: etree._Element, name: str) -> list[etree._Element]:
    return [child for child in element if isinstance(child.tag, str) and _local(child) == name]


def _text(element: etree._Element | None) -> str:
    if element is None:
        return ""
    found = _children(element, "text")
    return " ".join((found[0].text or "").split()) if found else ""


def _input_column(column: etree._Element) -> TableColumn:
    expression = _children(column, "inputExpression")
    code = _text(expression[0]) if expression else ""
    return TableColumn(column.get("label") or column.get("name") or code, code)


def _rule(row: int, rule: etree._Element) -> TableRule:
    description = _children(rule, "description")
    return TableRule(row, rule.get("id") or "",
                     " ".join((description[0].text or "").split()) if description else "",
                     [_text(entry) for entry in _children(rule, "inputEntry")],
                     [_text(entry) for entry in _children(rule, "outputEntry")])


def _read(path: str, decision: etree._Element, table: etree._Element) -> DecisionTable:
    return DecisionTable(
        path=path, table_id=table.get("id") or "", decision_id=decision.get("id") or "",
        name=decision.get("name") or decision.get("id") or "",
        hit_policy=table.get("hitPolicy") or "UNIQUE",
        inputs=[_input_column(c) for c in _children(table, "input")],
        outputs=[TableColumn(c.get("label") or c.get("name") or "", c.get("name") or "")
                 for c in _children(table, "output")],
        rules=[_rule(row, r) for row, r in enumerate(_children(table, "rule"), start=1)])


def find_decision_table(dmn_files: Mapping[str, str], table_or_decision_id: str
                        ) -> DecisionTable | None:
    """The table with this id (or the table of the decision with this id) in any DMN file."""
    for path in sorted(dmn_files):
        try:
            doc = parse_xml(dmn_files[path])
        except etree.XMLSyntaxError:
            continue
        for decision in doc.iter():
            if not isinstance(decision.tag, str) or _local(decision) != "decision":
                continue
            for table in _children(decision, "decisionTable"):
                if table_or_decision_id in (table.get("id"), decision.get("id")):
                    return _read(path, decision, table)
    return None
