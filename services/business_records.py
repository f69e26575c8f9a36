"""The payments, policies and claims a case's handlers wrote, as its history recorded them,
compared with the rows in the database now.

The hash chain proves that the history was not changed; it says nothing of the business
records themselves, which an UPDATE in SQL could change without touching the history. So
every `service_called` event carries the stored values of each audited record its handler
wrote (`records`: table, id and every column, JSON-ready as the chain hashes them), and
`audit verify` compares each record with the values the case's history last recorded for it.
A record the history names that is gone, or a payment or policy linked to the case's records
that no step of the case wrote, is a difference too. See docs/audit.md for what this proves.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, select
from sqlalchemy.orm import Session

from engine.values import from_json_ready, to_json_ready
from handlers.records import AUDITED_RECORDS
from models.direct import DirectStatement

from .audit_chain import as_chained

RECORDS_PER_READ = 500
SHOWN = 80  # characters of a value quoted in a sentence
CHANGED, MISSING, EXTRA = "changed", "missing", "extra"
NUMBER_COLUMNS = {"claim": "claim_number", "payment": "payment_number",
                  "policy": "policy_number"}

Key = tuple[str, int]  # (table name, id)
Recorded = dict[Key, dict[str, Any]]  # the values last recorded for each record


def _table(name: str) -> Table:
    return cast(Table, AUDITED_RECORDS[name].__table__)


_ROW_BY_ID = {name: DirectStatement(select(*_table(name).c)
                                    .where(_table(name).c.id == bindparam("row_id")))
              for name in AUDITED_RECORDS}


def stored_values(row: Mapping[Any, Any]) -> dict[str, Any]:
    """A row's columns as the history records them (JSON-ready: money and dates tagged)."""
    return cast(dict[str, Any], to_json_ready(dict(row)))


def written_records(connection: Connection, written: Mapping[str, set[int]]
                    ) -> list[dict[str, Any]]:
    """The `records` of a service call: each record the handler wrote, read back as stored,
    in table then id order."""
    records = []
    for name in sorted(written):
        for row_id in sorted(written[name]):
            row = _ROW_BY_ID[name].first(connection, {"row_id": row_id})
            if row is not None:
                records.append({"table": name, "id": row_id,
                                "values": stored_values(row._mapping)})
    return records


@dataclass(frozen=True)
class RecordDifference:
    """One way a business record differs from what the case's history last recorded."""

    table: str
    record_id: int
    number: str | None
    kind: str  # CHANGED, MISSING or EXTRA
    column: str | None = None
    recorded: Any = None  # JSON-ready, as in the history
    stored: Any = None  # JSON-ready, as in the database

    @property
    def label(self) -> str:
        """'payment PAY-000001 (id 1)'."""
        return f"{self.table} {self.number or '(no number)'} (id {self.record_id})"

    @property
    def in_history(self) -> str:
        return "no record" if self.kind == EXTRA else _show(self.recorded) \
            if self.kind == CHANGED else "the record"

    @property
    def in_database(self) -> str:
        return "no record" if self.kind == MISSING else _show(self.stored) \
            if self.kind == CHANGED else "the record"

    def sentence(self) -> str:
        if self.kind == MISSING:
            return f"{self.label} is missing from the database; the history recorded it"
        if self.kind == EXTRA:
            return f"{self.label} is linked to this case's records but no step of the case " \
                   "wrote it"
        return f"{self.label}: {self.column} is {self.in_database} in the database, but the " \
               f"history recorded {self.in_history}"


def recorded_records(events: Iterable[Any]) -> Recorded:
    """The values each record last had in the case's history (events in seq order)."""
    found: Recorded = {}
    for event in events:
        if event.kind != "service_called" or not isinstance(event.payload, dict):
            continue
        for entry in event.payload.get("records") or []:
            if isinstance(entry, dict) and entry.get("table") in AUDITED_RECORDS \
                    and isinstance(entry.get("id"), int) and isinstance(entry.get("values"), dict):
                found[(entry["table"], entry["id"])] = entry["values"]
    return found


def compare(session: Session, recorded_by_case: Mapping[int, Recorded]
            ) -> dict[int, list[RecordDifference]]:
    """Every difference of each case's records, read in a few queries for all the cases."""
    stored = _stored_rows(session, [key for recorded in recorded_by_case.values()
                                    for key in recorded])
    links = {case_id: _links(recorded) for case_id, recorded in recorded_by_case.items()}
    by_owner = _by_owner(session, links.values())
    extras = {case_id: sorted({key for owner in links[case_id]
                               for key in by_owner.get(owner, ()) if key not in recorded})
              for case_id, recorded in recorded_by_case.items()}
    stored |= _stored_rows(session, [key for keys in extras.values() for key in keys
                                     if key not in stored])
    found: dict[int, list[RecordDifference]] = {}
    for case_id, recorded in recorded_by_case.items():
        differences = [difference for key in sorted(recorded)
                       for difference in _differences(key, recorded[key], stored.get(key))]
        differences += [_extra(key, stored[key]) for key in extras[case_id] if key in stored]
        if differences:
            found[case_id] = differences
    return found


def _stored_rows(session: Session, keys: Sequence[Key]) -> Recorded:
    ids_by_table: dict[str, set[int]] = {}
    for name, row_id in keys:
        ids_by_table.setdefault(name, set()).add(row_id)
    stored: Recorded = {}
    for name, ids in ids_by_table.items():
        table = _table(name)
        for chunk in _chunks(ids):
            for row in session.execute(select(*table.c).where(table.c.id.in_(chunk))):
                stored[(name, row.id)] = stored_values(row._mapping)
    return stored


def _links(recorded: Recorded) -> set[Key]:
    """The case's applications, policies and claims, as (table, id), as its history recorded
    them: what a policy or payment of the case hangs from."""
    owners = {(name, row_id) for name, row_id in recorded if name in ("policy", "claim")}
    owners |= {("application", values["application_id"])
               for (name, _), values in recorded.items()
               if name in ("policy", "payment") and isinstance(values.get("application_id"), int)}
    return owners


def _owners(table: str, row: Any) -> list[Key]:
    """What a row hangs from: a policy from its application; a payment from its claim, or
    (not for a claim) from its application and policy."""
    if table == "policy":
        return [("application", row.application_id)]
    if row.claim_id is not None:
        return [("claim", row.claim_id)]
    return [(name, row_id) for name, row_id in (("application", row.application_id),
                                                ("policy", row.policy_id))
            if row_id is not None]


def _by_owner(session: Session, links: Iterable[set[Key]]) -> dict[Key, list[Key]]:
    """The policies and payments hanging from any of these applications, policies and
    claims, by what they hang from (ids and links only: few of them are ever shown)."""
    ids: dict[str, set[int]] = {"application": set(), "policy": set(), "claim": set()}
    for owners in links:
        for name, row_id in owners:
            ids[name].add(row_id)
    policy, payment = _table("policy"), _table("payment")
    payment_links = (payment.c.id, payment.c.application_id, payment.c.policy_id,
                     payment.c.claim_id)
    reads = [(select(policy.c.id, policy.c.application_id), policy.c.application_id,
              ids["application"], "policy"),
             (select(*payment_links), payment.c.claim_id, ids["claim"], "payment"),
             (select(*payment_links), payment.c.application_id, ids["application"], "payment"),
             (select(*payment_links), payment.c.policy_id, ids["policy"], "payment")]
    found: dict[Key, set[Key]] = {}
    for query, column, wanted, name in reads:
        for chunk in _chunks(wanted):
            for row in session.execute(query.where(column.in_(chunk))):
                for owner in _owners(name, row):
                    found.setdefault(owner, set()).add((name, row.id))
    return {owner: sorted(keys) for owner, keys in found.items()}


def _chunks(ids: set[int]) -> list[list[int]]:
    ordered = sorted(ids)
    return [ordered[start:start + RECORDS_PER_READ]
            for start in range(0, len(ordered), RECORDS_PER_READ)]


def _differences(key: Key, recorded: dict[str, Any], stored: dict[str, Any] | None
                 ) -> list[RecordDifference]:
    name, row_id = key
    number = recorded.get(NUMBER_COLUMNS[name])
    if stored is None:
        return [RecordDifference(name, row_id, _text(number), MISSING)]
    return [RecordDifference(name, row_id, _text(stored.get(NUMBER_COLUMNS[name]) or number),
                             CHANGED, column, recorded.get(column), stored.get(column))
            for column in sorted(set(recorded) | set(stored))
            if recorded.get(column) != stored.get(column)
            and as_chained(recorded.get(column)) != as_chained(stored.get(column))]


def _extra(key: Key, values: dict[str, Any]) -> RecordDifference:
    name, row_id = key
    return RecordDifference(name, row_id, _text(values.get(NUMBER_COLUMNS[name])), EXTRA)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _show(value: Any) -> str:
    """A value for a sentence: money and dates as written (450.00, 2026-11-25), the rest as
    JSON, nothing as 'empty'."""
    if value is None:
        return "empty"
    decoded = from_json_ready(value)
    text = str(decoded) if isinstance(decoded, Decimal | date) \
        else json.dumps(decoded, default=str, sort_keys=True)
    return text if len(text) <= SHOWN else text[:SHOWN] + "..."
