"""Copies of a template case's business records, for the audit benchmarks.

Each copied case gets its own application, policy and payments (new ids, numbers and
idempotency keys, links remapped), and the `records` its `service_called` events carry are
rewritten to name the copies, so `audit verify --all` compares as many real rows as it would
for as many real cases.
"""

from __future__ import annotations

import copy
from typing import Any, cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from models import Application, Base, Payment, Policy

# in foreign-key order
TABLES: dict[str, type[Base]] = {"application": Application, "policy": Policy,
                                 "payment": Payment}
NUMBERS = {"application": "application_number", "policy": "policy_number",
           "payment": "payment_number"}
LINKS = {"application_id": "application", "policy_id": "policy"}

Rows = dict[str, list[dict[str, Any]]]
IdMap = dict[tuple[str, int], int]


def _table(name: str) -> Table:
    return cast(Table, TABLES[name].__table__)


class RecordCopier:
    """The rows a template case's history records (and their application), copied per case."""

    def __init__(self, session: Session, events: list[dict[str, Any]]) -> None:
        keys = {(entry["table"], entry["id"]) for event in events
                for entry in (event["payload"] or {}).get("records", [])}
        wanted: dict[str, set[int]] = {name: set() for name in TABLES}
        for name, row_id in keys:
            wanted[name].add(row_id)
        self.rows: Rows = {name: [] for name in TABLES}
        for name in ("policy", "payment", "application"):
            table = _table(name)
            for row in session.execute(select(*table.c).where(table.c.id.in_(wanted[name]))):
                self.rows[name].append(dict(row._mapping))
                if name != "application" and row.application_id is not None:
                    wanted["application"].add(row.application_id)
        self.next_id = {name: int(session.scalar(select(func.max(_table(name).c.id))) or 0) + 1
                        for name in TABLES}

    def copy(self, copy_number: int) -> tuple[Rows, IdMap]:
        """New rows for one copied case, and which new id stands for which template id."""
        ids: IdMap = {}
        rows: Rows = {}
        for name in TABLES:
            rows[name] = []
            for row in self.rows[name]:
                new = dict(row, id=self.next_id[name])
                self.next_id[name] += 1
                ids[(name, row["id"])] = new["id"]
                new[NUMBERS[name]] = f"{row[NUMBERS[name]]}-C{copy_number}"
                for column, target in LINKS.items():
                    if new.get(column) is not None and column in new and name != target:
                        new[column] = ids[(target, row[column])]
                if name == "payment":
                    new["idempotency_key"] = f"{row['idempotency_key']}-C{copy_number}"
                rows[name].append(new)
        return rows, ids

    @staticmethod
    def payload(payload: dict[str, Any], ids: IdMap, copy_number: int) -> dict[str, Any]:
        """An event's payload with its `records` naming the copied rows."""
        if not payload.get("records"):
            return payload
        rewritten = copy.deepcopy(payload)
        for entry in rewritten["records"]:
            name, values = entry["table"], entry["values"]
            entry["id"] = values["id"] = ids[(name, entry["id"])]
            values[NUMBERS[name]] = f"{values[NUMBERS[name]]}-C{copy_number}"
            for column, target in LINKS.items():
                if values.get(column) is not None and name != target:
                    values[column] = ids[(target, values[column])]
            if name == "payment":
                values["idempotency_key"] = f"{values['idempotency_key']}-C{copy_number}"
        return rewritten
