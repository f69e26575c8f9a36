"""The auditors' case search: by business key, customer, date, process, status and actor.

One query for the page of cases (with their process version joined) and one grouped count
per status, both on indexed columns: the business key prefix and the customer substring use
the pg_trgm index on PostgreSQL, dates the `created_at` index, the actor the
`(actor, case_id)` index of the history. No query runs per row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from models import AuditEvent, Case, CaseKey, ProcessVersion

from .errors import InvalidInput
from .paging import BAD_PAGE, page_number

STATUSES = {"active": "Active", "retrying": "Retrying", "incident": "Stopped (incident)",
            "completed": "Completed"}
PER_PAGE = 25
MAX_TEXT = 100
TEXT_FIELDS = ("key", "customer", "process", "status", "actor", "created_from", "created_to")


@dataclass(frozen=True)
class CaseSearch:
    """What the auditor asked for; round-trips through the URL's query string."""

    key: str = ""
    customer: str = ""
    process: str = ""
    status: str = ""
    actor: str = ""
    created_from: str = ""
    created_to: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> CaseSearch:
        """Parse and check request arguments; every problem is reported at once."""
        values = {name: (args.get(name) or "").strip() for name in TEXT_FIELDS}
        errors: dict[str, list[str]] = {}
        for name, value in values.items():
            if len(value) > MAX_TEXT:
                errors[name] = [f"use at most {MAX_TEXT} characters"]
        if values["status"] and values["status"] not in STATUSES:
            errors["status"] = [f"choose one of: {', '.join(STATUSES)}"]
        for name in ("created_from", "created_to"):
            if values[name] and _date(values[name]) is None:
                errors[name] = ["use a date like 2026-11-25"]
        page = page_number(args.get("page"))
        if page is None:
            errors["page"] = [BAD_PAGE]
        if errors or page is None:
            raise InvalidInput("the case search is not valid", errors)
        return cls(**values, page=page)

    def to_args(self, **changes: Any) -> dict[str, str]:
        """Non-empty values only, for links (the pager) and the access log."""
        current = asdict(replace(self, **changes))
        return {name: str(value) for name, value in current.items()
                if value and not (name == "page" and value == 1)}

    @property
    def is_filtered(self) -> bool:
        return any(getattr(self, name) for name in TEXT_FIELDS)


@dataclass(frozen=True)
class CaseRow:
    case: Case
    version: int
    process_name: str


@dataclass(frozen=True)
class SearchResult:
    search: CaseSearch
    rows: list[CaseRow]
    # matches per status under every filter but the status one
    status_counts: dict[str, int]
    total: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.search.page < self.pages


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _filters(search: CaseSearch) -> list[ColumnElement[bool]]:
    """Every filter but the status: the status counts are taken under these."""
    where: list[ColumnElement[bool]] = []
    if search.key:
        # a policy number finds the new-business case it came from (case_key); a UNION of
        # ids rather than an OR, so the business key side can use its own index
        where.append(Case.id.in_(
            select(Case.id).where(Case.business_key.istartswith(search.key, autoescape=True))
            .union(select(CaseKey.case_id).where(
                CaseKey.key.istartswith(search.key, autoescape=True)))))
    if search.customer:
        where.append(Case.customer_name.icontains(search.customer, autoescape=True))
    if search.process:
        where.append(Case.process_id == search.process)
    if search.actor:
        where.append(Case.id.in_(select(AuditEvent.case_id)
                                 .where(AuditEvent.actor == search.actor)))
    start, end = _date(search.created_from), _date(search.created_to)
    if start is not None:
        where.append(Case.created_at >= _midnight(start))
    if end is not None and end < date.max:  # the whole last day; 9999-12-31 has no day after
        where.append(Case.created_at < _midnight(end + timedelta(days=1)))
    return where


def search_cases(session: Session, search: CaseSearch) -> SearchResult:
    """One page of matching cases, newest first, with how many match per status."""
    where = _filters(search)
    counts = {status: count for status, count in session.execute(
        select(Case.status, func.count()).where(*where).group_by(Case.status))}
    if search.status:
        where.append(Case.status == search.status)
    total = counts.get(search.status, 0) if search.status else sum(counts.values())
    rows = session.execute(
        select(Case, ProcessVersion.version, ProcessVersion.name)
        .join(ProcessVersion, ProcessVersion.id == Case.process_version_id)
        .where(*where).order_by(Case.created_at.desc(), Case.id.desc())
        .limit(PER_PAGE).offset((search.page - 1) * PER_PAGE))
    return SearchResult(search, [CaseRow(case, version, name) for case, version, name in rows],
                        {status: counts.get(status, 0) for status in STATUSES}, total)


def process_choices(session: Session) -> list[tuple[str, str]]:
    """(process id, name of its newest version) for every deployed process."""
    newest = (select(ProcessVersion.process_id, func.max(ProcessVersion.version).label("v"))
              .group_by(ProcessVersion.process_id).subquery())
    return [(pid, name) for pid, name in session.execute(
        select(ProcessVersion.process_id, ProcessVersion.name)
        .join(newest, (ProcessVersion.process_id == newest.c.process_id)
              & (ProcessVersion.version == newest.c.v))
        .order_by(ProcessVersion.process_id))]
