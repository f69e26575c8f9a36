"""The inbox: open human tasks by tab, filtered, searched, sorted and paged in one query.

Tabs: `mine` (claimed by me), `groups` (unclaimed tasks of my roles) and, for supervisors,
`all`. The query reads only the human_task table (the case's process, business key and
customer are copied onto each row), so every tab is served from an index.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from engine import user_task_names
from models import HumanTask, User

from . import processes
from .errors import InvalidInput, PermissionDenied
from .paging import BAD_PAGE, page_number
from .roles import Actor

TABS = {"mine": "My tasks", "groups": "My groups' tasks", "all": "All open tasks"}
DUE_STATES = {"overdue": "Overdue", "due_soon": "Due within 24 hours", "later": "Due later",
              "none": "No due date"}
SORTS = {"due": "Due date", "created": "Created", "priority": "Priority"}
DUE_SOON = timedelta(hours=24)
PER_PAGE = 25
# Counting stops here ("1,000+"): past it an exact figure helps nobody and costs a scan of
# the whole queue on every page view.
COUNT_CAP = 1000
MAX_SEARCH = 100


@dataclass(frozen=True)
class InboxQuery:
    """What the clerk asked to see; round-trips through a URL query string."""

    tab: str = "mine"
    process: str = ""
    task: str = ""
    due: str = ""
    assignee: str = ""
    search: str = ""
    sort: str = "due"
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> InboxQuery:
        """Parse request arguments; unknown values are reported, never silently ignored."""
        errors: dict[str, list[str]] = {}
        values = {name: (args.get(name) or "").strip() for name in
                  ("tab", "process", "task", "due", "assignee", "search", "sort")}
        tab, sort = values["tab"] or "mine", values["sort"] or "due"
        _check_choice(errors, "tab", tab, TABS)
        _check_choice(errors, "sort", sort, SORTS)
        if values["due"]:
            _check_choice(errors, "due", values["due"], DUE_STATES)
        if len(values["search"]) > MAX_SEARCH:
            errors["search"] = [f"use at most {MAX_SEARCH} characters"]
        page = _page_number(args.get("page"), errors)
        if errors:
            raise InvalidInput("the inbox filter is not valid", errors)
        return cls(tab=tab, process=values["process"], task=values["task"], due=values["due"],
                   assignee=values["assignee"], search=values["search"], sort=sort, page=page)

    def to_args(self, **changes: Any) -> dict[str, str]:
        """Non-default values only, for links and saved filters."""
        current = replace(self, **changes)
        defaults = asdict(InboxQuery())
        return {name: str(value) for name, value in asdict(current).items()
                if value != defaults[name]}

    @property
    def is_filtered(self) -> bool:
        return any((self.process, self.task, self.due, self.assignee, self.search))


@dataclass(frozen=True)
class InboxPage:
    query: InboxQuery
    tasks: list[HumanTask]
    total: int
    counts: dict[str, int]
    pages: int
    now: datetime
    has_next: bool
    cap: int = COUNT_CAP

    def count_label(self, count: int) -> str:
        return f"{self.cap:,}+" if count > self.cap else f"{count:,}"

    @property
    def total_is_exact(self) -> bool:
        return self.total <= self.cap

    def due_state(self, task: HumanTask) -> str:
        if task.due_at is None:
            return "none"
        if task.due_at < self.now:
            return "overdue"
        return "due_soon" if task.due_at < self.now + DUE_SOON else "later"


def _check_choice(errors: dict[str, list[str]], name: str, value: str,
                  choices: Mapping[str, str]) -> None:
    if value not in choices:
        errors[name] = [f"choose one of: {', '.join(choices)}"]


def _page_number(raw: str | None, errors: dict[str, list[str]]) -> int:
    number = page_number(raw)
    if number is None:
        errors["page"] = [BAD_PAGE]
        return 1
    return number


def visible_tabs(actor: Actor) -> list[str]:
    return [tab for tab in TABS if tab != "all" or actor.oversees]


def _tab_filter(actor: Actor, tab: str) -> ColumnElement[bool]:
    """Each tab lies inside case_access's read rule by construction (mine: tasks I hold;
    groups: tasks of my roles, each a lane of its process; all: overseers only), so the
    search by customer name finds nothing beyond it and no tab needs a join off its index."""
    if tab == "mine":
        return HumanTask.assignee == actor.username
    if tab == "groups":
        return (HumanTask.assignee.is_(None)) & (HumanTask.role.in_(sorted(actor.work_roles)))
    if not actor.oversees:
        raise PermissionDenied("only supervisors and auditors can see all open tasks")
    return HumanTask.status == "open"


def _filtered(query: InboxQuery, statement: Select[Any], now: datetime) -> Select[Any]:
    if query.process:
        statement = statement.where(HumanTask.process_id == query.process)
    if query.task:
        statement = statement.where(HumanTask.element_id == query.task)
    if query.assignee:
        statement = statement.where(HumanTask.assignee == query.assignee)
    if query.due:
        statement = statement.where(_due_filter(query.due, now))
    if query.search:
        term = query.search.replace("\\", "").replace("%", "").replace("_", " ")
        statement = statement.where(or_(
            HumanTask.business_key.like(term.upper() + "%"),
            HumanTask.customer_search.like("%" + term.lower() + "%")))
    return statement


def _due_filter(state: str, now: datetime) -> ColumnElement[bool]:
    if state == "overdue":
        return HumanTask.due_at < now
    if state == "due_soon":
        return (HumanTask.due_at >= now) & (HumanTask.due_at < now + DUE_SOON)
    if state == "later":
        return HumanTask.due_at >= now + DUE_SOON
    return HumanTask.due_at.is_(None)


def _ordered(statement: Select[Any], sort: str) -> Select[Any]:
    # NULLS LAST, not `due_at IS NULL, due_at`: the same order, but one the tab indexes
    # (ascending, so nulls last on PostgreSQL) can hand over without sorting the tab.
    due_last = HumanTask.due_at.asc().nulls_last()
    if sort == "created":
        return statement.order_by(HumanTask.created_at, HumanTask.id)
    if sort == "priority":
        return statement.order_by(HumanTask.priority.desc(), due_last, HumanTask.id)
    return statement.order_by(due_last, HumanTask.created_at, HumanTask.id)


def _count(session: Session, statement: Select[Any], cap: int) -> int:
    """Rows matching `statement`, counted up to cap + 1 (so "more than cap" is visible)."""
    limited = statement.with_only_columns(HumanTask.id).order_by(None).limit(cap + 1)
    return session.scalar(select(func.count()).select_from(limited.subquery())) or 0


def inbox(session: Session, actor: Actor, query: InboxQuery, now: datetime,
          per_page: int = PER_PAGE, count_cap: int = COUNT_CAP) -> InboxPage:
    """One page of the chosen tab plus the count of every tab the actor sees."""
    def open_in(tab: str) -> Select[Any]:
        return select(HumanTask).where(HumanTask.status == "open", _tab_filter(actor, tab))

    filtered = _filtered(query, open_in(query.tab), now)
    counts = {tab: _count(session, open_in(tab), count_cap) for tab in visible_tabs(actor)}
    total = counts[query.tab] if not query.is_filtered else _count(session, filtered, count_cap)
    pages = max(1, -(-min(total, count_cap) // per_page))
    page = query.page if total > count_cap else min(query.page, pages)
    rows = list(session.scalars(_ordered(filtered, query.sort)
                                .limit(per_page + 1).offset((page - 1) * per_page)))
    return InboxPage(replace(query, page=page), rows[:per_page], total, counts, pages, now,
                     has_next=len(rows) > per_page, cap=count_cap)


def filter_choices(session: Session) -> dict[str, list[tuple[str, str]]]:
    """Processes and task kinds as deployed, and the people who work tasks (no task scan)."""
    versions = processes.list_versions(session)
    kinds: dict[str, str] = {}
    for version in versions:
        for element_id, name in user_task_names(processes.definition_for(session, version)):
            kinds.setdefault(element_id, name)
    people = session.scalars(select(User.username).where(User.active.is_(True))
                             .order_by(User.username))
    return {"process": [(v.process_id, v.name) for v in versions],
            "task": sorted(kinds.items(), key=lambda item: item[1]),
            "assignee": [(name, name) for name in people]}
