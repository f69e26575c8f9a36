"""Checking that a case's history is the one that was recorded: the hash chain, end to end.

For each case the events must be numbered 1, 2, 3... with no gap, each must still hash to
its stored hash, each must link to the hash of the event before it, and the case's
`last_event_seq` and `head_hash` must name the last event. The first thing wrong is reported
with the sequence number where the history stops being trustworthy and what happened there
in words an auditor can act on. The case's payments, policies and claims are compared with
the values its history last recorded for them too (services.business_records). Reading is
read-only; callers that check many cases should read from one snapshot (see cli/audit.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from models import AuditEvent, Case

from . import business_records
from .audit_chain import GENESIS, event_hash, format_at
from .business_records import RecordDifference
from .errors import NotFound

CASES_PER_READ = 500
EVENTS_PER_READ = 20_000

MISSING, ALTERED, MOVED, INSERTED, REHASHED = "missing", "altered", "moved", "inserted", \
    "rehashed"


@dataclass(frozen=True)
class Problem:
    """The first place a history goes wrong: `seq` and a sentence that starts 'event N'."""

    seq: int
    kind: str
    text: str


@dataclass(frozen=True)
class CaseCheck:
    case_id: int
    business_key: str | None
    events: int
    problem: Problem | None
    # business records that differ from what the history last recorded for them
    records: tuple[RecordDifference, ...] = ()
    records_compared: int = 0  # business records the history names

    @property
    def intact(self) -> bool:
        """The hash chain holds."""
        return self.problem is None

    @property
    def sound(self) -> bool:
        """The chain holds and every business record is as the history last recorded it."""
        return self.problem is None and not self.records

    def sentence(self) -> str:
        """One line for the chain, then one indented line per business record difference."""
        outcome = self.problem.text if self.problem else f"{self.events} events, intact"
        lines = [f"case {self.case_id} ({self.business_key or 'no business key'}): {outcome}"]
        if self.records:
            count = len(self.records)
            lines[0] += f"; {count} business record difference{'s' if count > 1 else ''} " \
                        "from the history"
            lines += [f"  {difference.sentence()}" for difference in self.records]
        return "\n".join(lines)


_EVENT_COLUMNS = (AuditEvent.case_id, AuditEvent.seq, AuditEvent.at, AuditEvent.actor,
                  AuditEvent.kind, AuditEvent.element_id, AuditEvent.payload,
                  AuditEvent.prev_hash, AuditEvent.hash)
_CASE_COLUMNS = (Case.id, Case.business_key, Case.last_event_seq, Case.head_hash)


def verify_case(session: Session, case_id: int) -> CaseCheck:
    head = session.execute(select(*_CASE_COLUMNS).where(Case.id == case_id)).first()
    if head is None:
        raise NotFound(f"there is no case {case_id}")
    events = session.execute(select(*_EVENT_COLUMNS).where(AuditEvent.case_id == case_id)
                             .order_by(AuditEvent.seq)).all()
    recorded = {case_id: business_records.recorded_records(events)}
    return _check(head, events, recorded, business_records.compare(session, recorded))


def count_cases(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Case)) or 0)


def verify_all(session: Session) -> Iterator[CaseCheck]:
    """Every case in id order, read in batches: memory stays flat however many cases exist."""
    after = 0
    while True:
        heads = session.execute(select(*_CASE_COLUMNS).where(Case.id > after)
                                .order_by(Case.id).limit(CASES_PER_READ)).all()
        if not heads:
            return
        for group in _by_event_count(heads):
            events = _events_by_case(session, [head.id for head in group])
            recorded = {case_id: business_records.recorded_records(case_events)
                        for case_id, case_events in events.items()}
            differences = business_records.compare(session, recorded)
            for head in group:
                yield _check(head, events.pop(head.id, []), recorded, differences)
        after = heads[-1].id


def _by_event_count(heads: Sequence[Row[Any]]) -> Iterator[list[Row[Any]]]:
    group: list[Row[Any]] = []
    events = 0
    for head in heads:
        if group and events + head.last_event_seq > EVENTS_PER_READ:
            yield group
            group, events = [], 0
        group.append(head)
        events += head.last_event_seq
    if group:
        yield group


def _events_by_case(session: Session, case_ids: list[int]) -> dict[int, list[Row[Any]]]:
    found: dict[int, list[Row[Any]]] = {}
    for row in session.execute(select(*_EVENT_COLUMNS).where(AuditEvent.case_id.in_(case_ids))
                               .order_by(AuditEvent.case_id, AuditEvent.seq)):
        found.setdefault(row.case_id, []).append(row)
    return found


def _check(head: Row[Any], events: Sequence[Row[Any]],
           recorded: dict[int, business_records.Recorded],
           differences: dict[int, list[RecordDifference]]) -> CaseCheck:
    problem = first_problem(head.id, events, head.last_event_seq, head.head_hash)
    return CaseCheck(head.id, head.business_key, len(events), problem,
                     tuple(differences.get(head.id, ())), len(recorded.get(head.id, {})))


def first_problem(case_id: int, events: Sequence[Any], last_event_seq: int,
                  head_hash: str) -> Problem | None:
    """The first break in the chain of `events` (ordered by seq), or None when it holds."""
    hashes: list[str] = []  # stored hashes of the events checked so far, by position
    for position, event in enumerate(events):
        expected = position + 1
        if event.seq != expected:
            return _gap(expected, event.seq)
        if event.seq > last_event_seq:
            return _added(last_event_seq)
        problem = _unsound(case_id, event, hashes, events)
        if problem:
            return problem
        hashes.append(event.hash)
    return _head_mismatch(len(events), last_event_seq, head_hash, hashes)


def _hash_of(hashes: list[str], seq: int) -> str:
    return hashes[seq - 1] if seq >= 1 else GENESIS


def _recomputed(case_id: int, event: Any, seq: int, prev_hash: str) -> str:
    return event_hash(case_id=case_id, seq=seq, at=format_at(event.at), actor=event.actor,
                      kind=event.kind, element_id=event.element_id, payload=event.payload,
                      prev_hash=prev_hash)


def _gap(expected: int, found: int) -> Problem:
    if found > expected:
        before = f"event {expected - 1}" if expected > 1 else "the start"
        return Problem(expected, MISSING, f"event {expected} is missing: the history goes "
                                          f"from {before} to event {found}")
    return Problem(expected, INSERTED, f"event {expected} is not where it should be: an "
                                       f"event numbered {found} was inserted in its place")


def _added(last_event_seq: int) -> Problem:
    return Problem(last_event_seq + 1, INSERTED, f"event {last_event_seq + 1} was added after "
                                                 f"the case's last recorded event "
                                                 f"({last_event_seq})")


def _unsound(case_id: int, event: Any, hashes: list[str], events: Sequence[Any]
             ) -> Problem | None:
    seq = event.seq
    if _recomputed(case_id, event, seq, event.prev_hash) != event.hash:
        origin = _recorded_as(case_id, event, events)
        if origin is None:
            return Problem(seq, ALTERED, f"event {seq} was altered: its content no longer "
                                         "matches its hash")
        if origin == seq - 1 and event.prev_hash == _hash_of(hashes, seq - 2):
            return Problem(seq - 1, INSERTED, f"event {seq - 1} was inserted: the events "
                                              f"after it were renumbered to make room")
        return Problem(seq, MOVED, f"event {seq} is out of place: what stands there was "
                                   f"recorded as event {origin} (events were swapped, moved "
                                   "or renumbered)")
    if event.prev_hash == _hash_of(hashes, seq - 1):
        return None
    if seq == 1:
        return Problem(1, MISSING, "event 1 does not start the history: it follows an event "
                                   "that is no longer there")
    if event.prev_hash == _hash_of(hashes, seq - 2):
        return Problem(seq - 1, INSERTED, f"event {seq - 1} was inserted: event {seq} was "
                                          f"recorded right after event {seq - 2}")
    return Problem(seq - 1, REHASHED, f"event {seq - 1} was altered and its hash recomputed: "
                                      f"event {seq} was recorded after a different event "
                                      f"{seq - 1}")


def _recorded_as(case_id: int, event: Any, events: Sequence[Any]) -> int | None:
    """The number an out-of-place event was recorded under, when another number fits it.

    Its own hash fits (the event was renumbered), or the hash kept at that number fits (the
    contents of two events were exchanged). Only run for an event that fails its hash.
    """
    last = max(len(events), events[-1].seq) + 1
    for seq in range(1, last + 1):
        if seq == event.seq:
            continue
        if _recomputed(case_id, event, seq, event.prev_hash) == event.hash:
            return seq
        if seq <= len(events):
            other = events[seq - 1]
            if _recomputed(case_id, event, seq, other.prev_hash) == other.hash:
                return seq
    return None


def _head_mismatch(count: int, last_event_seq: int, head_hash: str, hashes: list[str]
                   ) -> Problem | None:
    if last_event_seq > count:
        return Problem(count + 1, MISSING, f"event {count + 1} is missing: the case recorded "
                                           f"{last_event_seq} events but its history ends "
                                           f"at event {count}")
    if head_hash != _hash_of(hashes, count) and count == 0:
        return Problem(1, MISSING, "event 1 is missing: the case's head hash names an event "
                                   "but its history is empty")
    if head_hash != _hash_of(hashes, count):
        return Problem(count, REHASHED, f"event {count} does not match the case's head "
                                        "hash: it was altered and its hash recomputed, or "
                                        "replaced")
    return None
