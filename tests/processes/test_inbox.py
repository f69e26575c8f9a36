"""Inbox, claim/release/reassign, drafts, saved filters and history, on the real processes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select

from models import AuditEvent, HumanTask, User
from services import assignment, drafts, history, inbox, saved_filters, tasks
from services.case_context import case_context
from services.cases import get_case
from services.errors import Conflict, InvalidInput, PermissionDenied
from services.inbox import InboxQuery
from services.roles import Actor
from tests.support import flows
from tests.support.applicants import PREMIUM, applicant

from .conftest import TODAY

CLERK = Actor("clerk1", frozenset({"clerk"}))
CLERK2 = Actor("clerk2", frozenset({"clerk"}))
UW = Actor("uw1", frozenset({"underwriter"}))
SUP = Actor("sup1", frozenset({"supervisor"}))


def _page(uow, actor: Actor, **args: str) -> inbox.InboxPage:  # type: ignore[no-untyped-def]
    with uow() as work:
        return inbox.inbox(work.session, actor, InboxQuery.from_args(args), TODAY)


def _act(uow, action, *args):  # type: ignore[no-untyped-def]
    with uow() as work:
        result = action(work.session, *args)
        work.commit()
        return result


def _referred(uow, name: str = "Mei Lin", id_number: str = "A1") -> int:  # type: ignore[no-untyped-def]
    case_id = flows.start(uow, "new_business", applicant(
        full_name=name, id_number=id_number, health_conditions="major",
        health_details="Type 1 diabetes"))
    flows.complete(uow, case_id, "record_first_premium", PREMIUM)
    return case_id


def _add_user(uow, username: str, roles: list[str]) -> None:  # type: ignore[no-untyped-def]
    with uow() as work:
        work.session.add(User(username=username, display_name=username, password_hash="x",
                              roles=roles))
        work.commit()


def test_groups_tab_then_claim_moves_the_task_to_my_tasks(insurer) -> None:
    case_id = _referred(insurer)
    groups = _page(insurer, UW, tab="groups")
    assert [t.element_id for t in groups.tasks] == ["underwriting_review"]
    row = groups.tasks[0]
    assert (row.business_key, row.customer_name, row.process_id) == (
        flows.show(insurer, case_id).case.business_key, "Mei Lin", "new_business")
    _act(insurer, assignment.claim, row.id, UW)
    assert _page(insurer, UW, tab="groups").total == 0
    mine = _page(insurer, UW)
    assert [t.id for t in mine.tasks] == [row.id] and mine.counts == {"mine": 1, "groups": 0}
    events = flows.kinds(flows.show(insurer, case_id))
    assert "task_claimed" in events


def test_task_claimed_by_someone_else_cannot_be_claimed_or_completed(insurer) -> None:
    _add_user(insurer, "uw2", ["underwriter"])
    case_id = _referred(insurer)
    task_id = flows.open_task(insurer, case_id, "underwriting_review")
    _act(insurer, assignment.claim, task_id, UW)
    with pytest.raises(Conflict, match="claimed by uw1"):
        _act(insurer, assignment.claim, task_id, Actor("uw2", frozenset({"underwriter"})))
    with pytest.raises(Conflict, match="claimed by uw1"):
        _act(insurer, tasks.complete_task, task_id, {"decision": "accept"}, "uw2",
             frozenset({"underwriter"}))
    with uow_session(insurer) as session:
        assert session.get(HumanTask, task_id).status == "open"  # type: ignore[union-attr]


def uow_session(uow):  # type: ignore[no-untyped-def]
    class _Ctx:
        def __enter__(self):  # type: ignore[no-untyped-def]
            self.work = uow().__enter__()
            return self.work.session

        def __exit__(self, *exc):  # type: ignore[no-untyped-def]
            self.work.__exit__(*exc)
    return _Ctx()


def test_task_outside_my_roles_is_refused(insurer) -> None:
    case_id = _referred(insurer)
    task_id = flows.open_task(insurer, case_id, "underwriting_review")
    with pytest.raises(PermissionDenied, match="underwriter role"):
        _act(insurer, assignment.claim, task_id, CLERK)
    with pytest.raises(PermissionDenied):
        _act(insurer, tasks.complete_task, task_id, {"decision": "accept"}, "clerk1",
             frozenset({"clerk"}))


def test_release_and_supervisor_reassign_are_audited(insurer) -> None:
    _add_user(insurer, "uw2", ["underwriter"])
    _add_user(insurer, "clerk9", ["clerk"])
    case_id = _referred(insurer)
    task_id = flows.open_task(insurer, case_id, "underwriting_review")
    _act(insurer, assignment.claim, task_id, UW)
    with pytest.raises(PermissionDenied):
        _act(insurer, assignment.release, task_id, Actor("uw2", frozenset({"underwriter"})))
    _act(insurer, assignment.release, task_id, UW)
    with pytest.raises(PermissionDenied, match="supervisor"):
        _act(insurer, assignment.reassign, task_id, "uw2", UW)
    with pytest.raises(InvalidInput) as wrong_role:
        _act(insurer, assignment.reassign, task_id, "clerk9", SUP)
    assert "assignee" in wrong_role.value.field_errors
    _act(insurer, assignment.reassign, task_id, "uw2", SUP)
    assert _page(insurer, Actor("uw2", frozenset({"underwriter"}))).total == 1
    lines = history.describe(_events(insurer, case_id), "new_business")
    texts = [line.text for line in lines]
    assert any("claimed" in t for t in texts) and any("released" in t for t in texts)
    assert "Supervisor sup1 reassigned \u201cUnderwriting review\u201d from nobody to uw2" in texts


def _events(uow, case_id: int) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with uow() as work:
        return list(work.session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id)
                                         .order_by(AuditEvent.seq)))


def test_history_tells_a_referral_in_plain_language(insurer) -> None:
    case_id = _referred(insurer)
    flows.complete(insurer, case_id, "underwriting_review",
                   {"decision": "refer_to_senior", "reason": "health declaration"}, actor="uw1")
    texts = [line.text for line in history.describe(_events(insurer, case_id), "new_business")]
    assert "Underwriter uw1 referred the application: health declaration" in texts
    assert any(t.startswith("Decision table") for t in texts)
    with uow_session(insurer) as session:
        context = case_context(session, get_case(session, case_id))
    titles = [title for title, _ in context.sections]
    assert titles[:2] == ["Customer", "Application"]
    assert any("referred" in line.text for line in context.decisions)


def test_only_supervisors_see_all_and_unknown_filters_are_reported(insurer) -> None:
    _referred(insurer)
    assert _page(insurer, SUP, tab="all").total == 1
    with pytest.raises(PermissionDenied):
        _page(insurer, UW, tab="all")
    with pytest.raises(InvalidInput) as bad:
        InboxQuery.from_args({"tab": "nope", "sort": "x", "page": "0", "due": "soon"})
    assert set(bad.value.field_errors) == {"tab", "sort", "page", "due"}


def test_search_filter_sort_and_pages(insurer) -> None:
    ids = [_referred(insurer, name, f"ID{n}") for n, name in
           enumerate(["Mei Lin", "Wei Chen", "Ana Lee"])]
    keys = [flows.show(insurer, case_id).case.business_key for case_id in ids]
    assert [t.customer_name for t in _page(insurer, UW, tab="groups", search="chen").tasks] \
        == ["Wei Chen"]
    assert [t.business_key for t in _page(insurer, UW, tab="groups", search=keys[2]).tasks] \
        == [keys[2]]
    assert _page(insurer, UW, tab="groups", search="nobody").total == 0
    with insurer() as work:  # make one overdue and one high priority
        rows = {t.business_key: t for t in work.session.scalars(select(HumanTask))}
        rows[keys[1]].due_at = TODAY - timedelta(hours=1)
        rows[keys[2]].priority = 90
        work.commit()
    overdue = _page(insurer, UW, tab="groups", due="overdue")
    assert [t.business_key for t in overdue.tasks] == [keys[1]]
    assert overdue.due_state(overdue.tasks[0]) == "overdue"
    assert _page(insurer, UW, tab="groups", sort="priority").tasks[0].business_key == keys[2]
    assert _page(insurer, UW, tab="groups", sort="due").tasks[0].business_key == keys[1]
    with insurer() as work:
        paged = inbox.inbox(work.session, UW, InboxQuery(tab="groups", page=2), TODAY,
                            per_page=2)
    assert (paged.total, paged.pages, len(paged.tasks)) == (3, 2, 1)


def test_draft_is_kept_per_user_and_dropped_on_completion(insurer) -> None:
    case_id = _referred(insurer)
    task_id = flows.open_task(insurer, case_id, "underwriting_review")
    with insurer() as work:
        task = tasks.get_task(work.session, task_id)
        drafts.save_draft(work.session, task, "uw1", {"reason": "half typed", "decision": ""})
        work.commit()
    with uow_session(insurer) as session:
        draft = drafts.get_draft(session, task_id, "uw1")
        assert draft is not None and draft.data["reason"] == "half typed"
        assert drafts.get_draft(session, task_id, "uw2") is None
    flows.complete(insurer, case_id, "underwriting_review",
                   {"decision": "accept", "reason": "Well controlled"}, actor="uw1")
    with uow_session(insurer) as session:
        assert drafts.get_draft(session, task_id, "uw1") is None


def test_saved_filters_round_trip_and_names_are_unique(insurer) -> None:
    query = InboxQuery(tab="groups", due="overdue", search="Lin", sort="priority", page=3)
    _act(insurer, saved_filters.save_filter, "uw1", "Overdue Lin", query)
    with pytest.raises(Conflict):
        _act(insurer, saved_filters.save_filter, "uw1", "Overdue Lin", query)
    with pytest.raises(InvalidInput):
        _act(insurer, saved_filters.save_filter, "uw1", "  ", query)
    with uow_session(insurer) as session:
        (saved,) = saved_filters.list_filters(session, "uw1")
        assert saved_filters.filter_query(saved) == InboxQuery(
            tab="groups", due="overdue", search="Lin", sort="priority")
        assert saved_filters.list_filters(session, "uw2") == []


def test_tasks_without_a_due_date_come_last(insurer) -> None:
    ids = [_referred(insurer, name, f"ND{n}") for n, name in enumerate(["Mei Lin", "Wei Chen"])]
    keys = [flows.show(insurer, case_id).case.business_key for case_id in ids]
    with insurer() as work:
        rows = {t.business_key: t for t in work.session.scalars(select(HumanTask))}
        rows[keys[0]].due_at = None
        work.commit()
    for sort in ("due", "priority"):
        assert [t.business_key for t in _page(insurer, UW, tab="groups", sort=sort).tasks] \
            == [keys[1], keys[0]]


def test_postgresql_serves_the_inbox_from_the_open_task_indexes(insurer, db_engine) -> None:
    """The first page is read off the unclaimed-task index (no sort); search has a trigram index."""
    if db_engine.dialect.name != "postgresql":
        pytest.skip("index plans are PostgreSQL's")
    _referred(insurer)
    statements: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, params, context, many):  # type: ignore[no-untyped-def]
        statements.append((statement, params))

    event.listen(db_engine, "before_cursor_execute", capture)
    try:
        _page(insurer, CLERK, tab="groups")
    finally:
        event.remove(db_engine, "before_cursor_execute", capture)
    page_sql, params = next(s for s in statements if "ORDER BY" in s[0])
    with db_engine.connect() as conn:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute("SET enable_seqscan = off")  # a tiny table would be scanned anyway
        cursor.execute("EXPLAIN " + page_sql, params)
        first_page = "\n".join(row[0] for row in cursor.fetchall())
        assert "ix_human_task_unclaimed" in first_page and "Sort" not in first_page
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s",
                       ("ix_human_task_open_search",))
        definition = cursor.fetchone()[0]
    assert "USING gin" in definition and "gin_trgm_ops" in definition
    assert "WHERE ((status)::text = 'open'::text)" in definition


def test_counts_stop_at_the_cap_and_paging_goes_on(insurer) -> None:
    for n in range(3):
        _referred(insurer, f"Cap Person {n}", f"CAP{n}")
    with insurer() as work:
        first = inbox.inbox(work.session, UW, InboxQuery(tab="groups"), TODAY, per_page=1,
                            count_cap=2)
        last = inbox.inbox(work.session, UW, InboxQuery(tab="groups", page=3), TODAY,
                           per_page=1, count_cap=2)
    assert (first.counts["groups"], first.count_label(first.counts["groups"])) == (3, "2+")
    assert not first.total_is_exact and first.has_next and len(first.tasks) == 1
    assert last.query.page == 3 and len(last.tasks) == 1 and not last.has_next
    assert {t.id for t in first.tasks} != {t.id for t in last.tasks}
