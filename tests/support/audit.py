"""Cases with real histories, and tampering with them the way someone with database access could."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, select, text, update

from engine.clock import set_clock
from handlers import ensure_products
from models import AuditEvent
from services.audit_chain import event_hash, format_at
from tests.support import flows
from tests.support.applicants import DELIVERY, PREMIUM, RECEIPT, applicant

EVENTS = AuditEvent.__table__
START = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


def ticking_clock() -> None:
    """Every reading a little later, with odd microseconds, so `at` round trips are tested."""
    ticks: Iterator[int] = itertools.count()
    set_clock(lambda: START + timedelta(microseconds=1_234_567 * next(ticks)))


def deploy_real_processes(uow: flows.UowFactory) -> flows.UowFactory:
    ticking_clock()
    flows.deploy(uow)
    with uow() as work:
        ensure_products(work.session)
        work.commit()
    return uow


def accepted_case(uow: flows.UowFactory, name: str = "Mei Lin") -> int:
    """A new business case on the accept path, to its end: about twenty events."""
    case_id = flows.start(uow, "new_business", applicant(full_name=name))
    flows.complete(uow, case_id, "record_first_premium", PREMIUM)
    flows.complete(uow, case_id, "deliver_policy", DELIVERY)
    flows.complete(uow, case_id, "record_delivery_confirmation", RECEIPT)
    return case_id


def tamper(engine: Engine, change: Callable[[Connection], None]) -> None:
    """Run `change` with PostgreSQL's append-only trigger switched off for that transaction."""
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        if postgres:
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
        change(conn)
        if postgres:
            conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only"))


def rows(conn: Connection, case_id: int) -> list[Any]:
    return list(conn.execute(select(EVENTS).where(EVENTS.c.case_id == case_id)
                             .order_by(EVENTS.c.seq)))


def event_where(case_id: int, seq: int) -> Any:
    return (EVENTS.c.case_id == case_id) & (EVENTS.c.seq == seq)


def set_fields(conn: Connection, case_id: int, number: int, **values: Any) -> None:
    conn.execute(update(EVENTS).where(event_where(case_id, number)).values(**values))


def renumber(conn: Connection, case_id: int, moves: dict[int, int]) -> None:
    """Give events new numbers, through negative ones so the unique (case, seq) never clashes."""
    for old in moves:
        set_fields(conn, case_id, old, seq=-old)
    for old, new in moves.items():
        set_fields(conn, case_id, -old, seq=new)


def hashed_event(case_id: int, seq: int, prev_hash: str, **content: Any) -> dict[str, Any]:
    """An event row whose hash is right for its content: what a careful forger would write."""
    event = {"case_id": case_id, "seq": seq, "at": START, "actor": "mallory", "kind": "note",
             "element_id": None, "payload": {"text": "forged"}, **content}
    event["prev_hash"] = prev_hash
    event["hash"] = event_hash(case_id=case_id, seq=seq, at=format_at(event["at"]),
                               actor=event["actor"], kind=event["kind"],
                               element_id=event["element_id"], payload=event["payload"],
                               prev_hash=prev_hash)
    return event
