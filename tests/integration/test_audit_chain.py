"""The audit hash chain on real cases: every kind of tampering is caught at the right event."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Connection, Engine, delete, insert, select, text, update
from sqlalchemy.exc import DBAPIError

from models import Case
from services import audit, audit_verify
from services.audit_chain import GENESIS, event_hash, format_at
from services.audit_verify import ALTERED, INSERTED, MISSING, MOVED, REHASHED
from tests.support import audit as forge
from tests.support.audit import EVENTS, event_where, renumber, rows, set_fields


@pytest.fixture
def case_id(uow) -> int:  # type: ignore[no-untyped-def]
    forge.deploy_real_processes(uow)
    return forge.accepted_case(uow)


def _verify(uow, case_id: int) -> audit_verify.CaseCheck:  # type: ignore[no-untyped-def]
    with uow() as work:
        return audit_verify.verify_case(work.session, case_id)


def test_a_recorded_history_is_a_sound_chain(uow, db_engine: Engine, case_id: int) -> None:  # type: ignore[no-untyped-def]
    check = _verify(uow, case_id)
    assert check.intact and check.events >= 15, check.sentence()
    assert check.sentence() == f"case {case_id} (APP-000001): {check.events} events, intact"
    with db_engine.connect() as conn:
        events = rows(conn, case_id)
        head = conn.execute(select(Case.head_hash, Case.last_event_seq)
                            .where(Case.id == case_id)).one()
    assert events[0].prev_hash == GENESIS
    assert all(later.prev_hash == earlier.hash for earlier, later in
               zip(events, events[1:], strict=False))
    assert (head.head_hash, head.last_event_seq) == (events[-1].hash, len(events))


def test_awkward_payloads_hash_the_same_after_the_database_reads_them_back(
        uow, case_id: int) -> None:  # type: ignore[no-untyped-def]
    awkward = {"ratio": 0.1, "big": 1e20, "whole": 3.0, "negative_zero": -0.0, "tiny": 1e-7,
               "name": "林美 \u2028 \"quoted\" \\ tab\t", "nested": {"b": [1, 2.5, {"z": None}],
                                                                    "a": True},
               "money": Decimal("12.30"), "on": date(2026, 1, 2), "large": 2 ** 70}
    with uow() as work:
        case = work.session.get(Case, case_id)
        audit.record(work.session, case, "note", "ann", "somewhere", awkward)
        audit.record(work.session, case, "note", "ann", None, {})
        work.commit()
    check = _verify(uow, case_id)
    assert check.intact, check.sentence()


def _edit_payload(case_id: int) -> Callable[[Connection], None]:
    return lambda conn: set_fields(conn, case_id, 5, payload={"changed": "by hand"})


def _edit_actor(case_id: int) -> Callable[[Connection], None]:
    return lambda conn: set_fields(conn, case_id, 3, actor="someone_else")


def _edit_time(case_id: int) -> Callable[[Connection], None]:
    def change(conn: Connection) -> None:
        event = rows(conn, case_id)[3]
        set_fields(conn, case_id, 4, at=event.at + timedelta(microseconds=1))
    return change


def _delete(case_id: int, seq: int) -> Callable[[Connection], None]:
    return lambda conn: conn.execute(delete(EVENTS).where(event_where(case_id, seq)))


def _delete_last(case_id: int) -> Callable[[Connection], None]:
    def change(conn: Connection) -> None:
        _delete(case_id, len(rows(conn, case_id)))(conn)
    return change


def _delete_and_close_the_gap(case_id: int) -> Callable[[Connection], None]:
    def change(conn: Connection) -> None:
        count = len(rows(conn, case_id))
        _delete(case_id, 6)(conn)
        renumber(conn, case_id, {seq: seq - 1 for seq in range(7, count + 1)})
    return change


def _swap_numbers(case_id: int, first: int, second: int) -> Callable[[Connection], None]:
    return lambda conn: renumber(conn, case_id, {first: second, second: first})


def _swap_contents(case_id: int) -> Callable[[Connection], None]:
    def change(conn: Connection) -> None:
        events = {event.seq: event for event in rows(conn, case_id)}
        for seq, other in ((3, 6), (6, 3)):
            source = events[other]
            set_fields(conn, case_id, seq, at=source.at, actor=source.actor, kind=source.kind,
                       element_id=source.element_id, payload=source.payload)
    return change


def _insert_in_the_middle(case_id: int) -> Callable[[Connection], None]:
    def change(conn: Connection) -> None:
        events = rows(conn, case_id)
        renumber(conn, case_id, {seq: seq + 1 for seq in range(4, len(events) + 1)})
        conn.execute(insert(EVENTS).values(forge.hashed_event(case_id, 4, events[2].hash)))
    return change


def _append(case_id: int) -> Callable[[Connection], None]:
    def change(conn: Connection) -> None:
        events = rows(conn, case_id)
        conn.execute(insert(EVENTS).values(
            forge.hashed_event(case_id, len(events) + 1, events[-1].hash)))
    return change


def _edit_and_rehash(case_id: int) -> Callable[[Connection], None]:
    def change(conn: Connection) -> None:
        event = rows(conn, case_id)[4]
        payload = {**event.payload, "note": "quietly changed"}
        digest = event_hash(case_id=case_id, seq=5, at=format_at(event.at), actor=event.actor,
                            kind=event.kind, element_id=event.element_id, payload=payload,
                            prev_hash=event.prev_hash)
        set_fields(conn, case_id, 5, payload=payload, hash=digest)
    return change


LAST = -1  # stands for the number of the case's last event
TAMPERING: dict[str, tuple[Callable[[int], Callable[[Connection], None]], int, str, str]] = {
    "payload edited": (_edit_payload, 5, ALTERED, "event 5 was altered: its content no "
                                                  "longer matches its hash"),
    "actor edited": (_edit_actor, 3, ALTERED, "event 3 was altered"),
    "time edited by a microsecond": (_edit_time, 4, ALTERED, "event 4 was altered"),
    "middle event deleted": (lambda c: _delete(c, 7), 7, MISSING,
                             "event 7 is missing: the history goes from event 6 to event 8"),
    "last event deleted": (_delete_last, LAST, MISSING, "is missing: the case recorded"),
    "event deleted, later ones renumbered": (_delete_and_close_the_gap, 6, MOVED,
                                             "event 6 is out of place: what stands there "
                                             "was recorded as event 7"),
    "two events swapped by number": (lambda c: _swap_numbers(c, 4, 9), 4, MOVED,
                                     "recorded as event 9"),
    "neighbours swapped by number": (lambda c: _swap_numbers(c, 8, 9), 8, MOVED,
                                     "recorded as event 9"),
    "two events' contents swapped": (_swap_contents, 3, MOVED, "recorded as event 6"),
    "event inserted, later ones renumbered": (_insert_in_the_middle, 4, INSERTED,
                                              "event 4 was inserted"),
    "event appended after the last": (_append, LAST + 1, INSERTED, "was added after the "
                                                                   "case's last recorded"),
    "payload edited and hash recomputed": (_edit_and_rehash, 5, REHASHED,
                                           "event 5 was altered and its hash recomputed"),
}


@pytest.mark.parametrize("name", list(TAMPERING))
def test_tampering_is_caught_at_the_first_bad_event(uow, db_engine: Engine, case_id: int,  # type: ignore[no-untyped-def]
                                                    name: str) -> None:
    make_change, seq, kind, words = TAMPERING[name]
    count = _verify(uow, case_id).events
    forge.tamper(db_engine, make_change(case_id))
    check = _verify(uow, case_id)
    expected_seq = seq if seq > 0 else count + 1 + seq
    assert check.problem is not None, name
    assert (check.problem.seq, check.problem.kind) == (expected_seq, kind), check.sentence()
    assert words in check.sentence()
    assert check.sentence().startswith(f"case {case_id} (APP-000001): event {expected_seq} ")


@pytest.mark.parametrize("cases_per_read, events_per_read", [(500, 20_000), (2, 1)])
def test_other_cases_stay_intact_when_one_is_tampered(  # type: ignore[no-untyped-def]
        uow, db_engine: Engine, case_id: int, monkeypatch: pytest.MonkeyPatch,
        cases_per_read: int, events_per_read: int) -> None:
    monkeypatch.setattr(audit_verify, "CASES_PER_READ", cases_per_read)
    monkeypatch.setattr(audit_verify, "EVENTS_PER_READ", events_per_read)
    others = [forge.accepted_case(uow, name) for name in ("Chen Wei", "Lin Yu", "Wang Fang")]
    forge.tamper(db_engine, _edit_payload(case_id))
    with uow() as work:
        checks = list(audit_verify.verify_all(work.session))
    assert [check.case_id for check in checks] == [case_id, *others]
    assert [check.intact for check in checks] == [False, True, True, True]
    assert all(check.events >= 15 for check in checks)


def test_postgresql_refuses_to_update_or_delete_audit_rows(db_engine: Engine,  # type: ignore[no-untyped-def]
                                                           case_id: int) -> None:
    if db_engine.dialect.name != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    for statement in (update(EVENTS).where(event_where(case_id, 2)).values(actor="x"),
                      delete(EVENTS).where(event_where(case_id, 2))):
        with pytest.raises(DBAPIError, match="audit history is append-only"), \
                db_engine.begin() as conn:
            conn.execute(statement)
    with db_engine.connect() as conn:
        assert rows(conn, case_id)[1].actor != "x"
        assert conn.execute(text("SELECT count(*) FROM audit_event")).scalar() > 0
