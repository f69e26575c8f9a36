"""Audit hash chain: verifying one case with 1,000 events, and `audit verify --all` over
10,000 cases (prints figures; not a test).

The long case is real: a new business case whose first clerk task is claimed and released
through services.assignment until the case has --events events, each action its own
transaction as in the inbox. The ordinary cases are copies of one real accept-path case
(about 20 events, run end to end through the services): their rows are inserted with bulk
SQL, each with its own copy of the template's application, policy and payment (the events'
recorded `records` rewritten to name them, bench/copied_records.py), and every copied event
is re-hashed for its new case with the real chain code (services.audit_chain), so they verify
like recorded cases, business records compared included. The output says so too.

Also prints what hashing costs per recorded event, and per case step.

Usage: python bench/bench_audit_verify.py [--cases N] [--events N] [--database-url URL]
(default: a temporary SQLite file; a PostgreSQL URL names a database that is dropped and
created afresh, e.g. postgresql://postgres@127.0.0.1:5432/insurflow_bench_audit).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

from bench.copied_records import TABLES, RecordCopier  # noqa: E402
from bench.support import Uow, application, fresh_database, new_business_case  # noqa: E402
from models import AuditEvent, Case, HumanTask  # noqa: E402
from services import assignment, audit_export, audit_verify, cases  # noqa: E402
from services.audit_chain import GENESIS, event_hash, format_at  # noqa: E402
from services.roles import Actor  # noqa: E402

CLERK = Actor("bench_clerk", frozenset({"clerk"}))
CASES_PER_INSERT = 500


def long_case(uow: Uow, events: int) -> int:
    """A real case whose history reaches `events` through claims and releases."""
    with uow() as work:
        case = cases.start_case(work.session, "new_business", application(999_999), "bench")
        work.commit()
        case_id, recorded = case.id, case.last_event_seq
    with uow() as work:
        task_id = work.session.scalars(select(HumanTask.id).where(
            HumanTask.case_id == case_id, HumanTask.status == "open")).first()
    assert task_id is not None, "the new business case should wait for a clerk"
    for number in range(events - recorded):
        act = assignment.claim if number % 2 == 0 else assignment.release
        with uow() as work:
            act(work.session, task_id, CLERK)
            work.commit()
    return case_id


def copy_cases(uow: Uow, template_id: int, count: int) -> int:
    """`count` copies of a real case, bulk-inserted, each event re-hashed for its copy."""
    with uow() as work:
        case_row = dict(work.session.execute(
            select(*Case.__table__.c).where(Case.id == template_id)).one()._mapping)
        events = [dict(row._mapping) for row in work.session.execute(
            select(*AuditEvent.__table__.c).where(AuditEvent.case_id == template_id)
            .order_by(AuditEvent.seq))]
        first_id = int(work.session.scalar(select(Case.id).order_by(Case.id.desc())
                                           .limit(1)) or 0) + 1
        copier = RecordCopier(work.session, events)
    for start in range(0, count, CASES_PER_INSERT):
        new_ids = range(first_id + start, first_id + min(start + CASES_PER_INSERT, count))
        case_rows, event_rows = [], []
        record_rows: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
        for new_id in new_ids:
            rows, ids = copier.copy(new_id)
            for name, copied in rows.items():
                record_rows[name] += copied
            head, chained = _rehashed(new_id, [
                event | {"payload": copier.payload(event["payload"], ids, new_id)}
                for event in events])
            case_rows.append(case_row | {"id": new_id, "business_key": f"COPY-{new_id:06d}",
                                         "head_hash": head})
            event_rows += chained
        with uow() as work:
            for name, copied in record_rows.items():
                if copied:
                    work.session.execute(insert(TABLES[name].__table__), copied)
            work.session.execute(insert(Case.__table__), case_rows)
            work.session.execute(insert(AuditEvent.__table__), event_rows)
            work.commit()
    return len(events)


def _rehashed(case_id: int, events: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    prev_hash, chained = GENESIS, []
    for event in events:
        digest = event_hash(case_id=case_id, seq=event["seq"], at=format_at(event["at"]),
                            actor=event["actor"], kind=event["kind"],
                            element_id=event["element_id"], payload=event["payload"],
                            prev_hash=prev_hash)
        chained.append({key: value for key, value in event.items() if key != "id"}
                       | {"case_id": case_id, "prev_hash": prev_hash, "hash": digest})
        prev_hash = digest
    return prev_hash, chained


def timed(action: Any, repeat: int) -> tuple[float, Any]:
    """Median seconds of `repeat` runs, and the last result."""
    seconds, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), result


def hashing_cost(uow: Uow, case_id: int) -> float:
    """Microseconds to hash one recorded event, over a real accept-path case's events."""
    with uow() as work:
        events = list(work.session.execute(select(*AuditEvent.__table__.c).where(
            AuditEvent.case_id == case_id)))
    rounds = 200
    started = time.perf_counter()
    for _ in range(rounds):
        for event in events:
            event_hash(case_id=event.case_id, seq=event.seq, at=format_at(event.at),
                       actor=event.actor, kind=event.kind, element_id=event.element_id,
                       payload=event.payload, prev_hash=event.prev_hash)
    return (time.perf_counter() - started) / (rounds * len(events)) * 1e6


def run(url: str, case_count: int, events: int) -> dict[str, Any]:
    figures: dict[str, Any] = {"database": url.split(":", 1)[0]}
    uow = fresh_database(url)
    new_business_case(uow, 0)  # the template: a real case on the accept path, to its end
    template_id = 1
    long_id = long_case(uow, events)
    per_copy = copy_cases(uow, template_id, case_count - 1)
    figures["ordinary_cases"] = (f"{case_count}: 1 real accept-path case and "
                                 f"{case_count - 1} bulk-SQL copies of it ({per_copy} events "
                                 "each, own application, policy and payment), re-hashed "
                                 "with the real chain code")
    seconds, check = timed(lambda: _verify_one(uow, long_id), 5)
    assert check.intact and check.events == events, check.sentence()
    figures[f"verify_{events}_event_case_ms"] = round(seconds * 1000, 1)
    figures["verify_one_case_events_per_s"] = round(events / seconds)
    seconds, _ = timed(lambda: _export_one(uow, long_id), 3)
    figures[f"export_{events}_event_case_ms"] = round(seconds * 1000, 1)
    cpu_started = time.process_time()
    seconds, (checked, checked_events, records, broken) = timed(lambda: _verify_all(uow), 1)
    # this process's CPU time (SQLite runs in it; PostgreSQL's share is not counted): steadier
    # than wall time on a busy machine
    figures["verify_all_cpu_seconds"] = round(time.process_time() - cpu_started, 2)
    assert broken == 0 and checked == case_count + 1
    figures["verify_all_cases"] = checked
    figures["verify_all_events"] = checked_events
    figures["verify_all_business_records"] = records
    figures["verify_all_seconds"] = round(seconds, 2)
    figures["verify_all_cases_per_s"] = round(checked / seconds)
    figures["verify_all_events_per_s"] = round(checked_events / seconds)
    figures["hash_us_per_event"] = round(hashing_cost(uow, template_id), 1)
    figures["events_per_accept_path_case"] = per_copy
    return figures


def _verify_one(uow: Uow, case_id: int) -> audit_verify.CaseCheck:
    with uow() as work:
        return audit_verify.verify_case(work.session, case_id)


def _export_one(uow: Uow, case_id: int) -> str:
    with uow() as work:
        return json.dumps(audit_export.export_case(work.session, case_id))


def _verify_all(uow: Uow) -> tuple[int, int, int, int]:
    checked = events = records = broken = 0
    with uow() as work:
        for check in audit_verify.verify_all(work.session):
            checked, events, broken = checked + 1, events + check.events, \
                broken + (not check.sound)
            records += check.records_compared
    return checked, events, records, broken


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=10_000,
                        help="ordinary cases for verify --all (default 10000)")
    parser.add_argument("--events", type=int, default=1_000,
                        help="events in the long case (default 1000)")
    parser.add_argument("--database-url", help="PostgreSQL URL (its database is recreated); "
                        "default: a temporary SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench_audit.db"
        print(json.dumps(run(url, args.cases, args.events), indent=2))


if __name__ == "__main__":
    main()
