"""The clerks' pages through their routes: inbox, task, start and case pages, every error
users can meet, and a permission matrix of every role against every page and action."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from cli.demo import DEMO_USERS
from models import AuditEvent, HumanTask, TaskDraft
from services import users
from services.unit_of_work import UnitOfWork
from tests.support import flows
from tests.support.applicants import PREMIUM, applicant
from tests.support.auth import csrf_token, sign_in, signed_in_client


def _referred_case(uow) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    case_id = flows.start(uow, "new_business", applicant(health_conditions="major",
                                                         health_details="Asthma"))
    flows.complete(uow, case_id, "record_first_premium", PREMIUM)
    return case_id, flows.open_task(uow, case_id, "underwriting_review")


def _post(client: FlaskClient, path: str, **data: str):  # type: ignore[no-untyped-def]
    return client.post(path, data={"csrf_token": csrf_token(client, "/inbox"), **data})


def _task(uow, task_id: str) -> HumanTask:  # type: ignore[no-untyped-def]
    with uow() as work:
        task = work.session.get(HumanTask, task_id)
        assert task is not None
        return task


def test_every_page_has_a_title(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    case_id, task_id = _referred_case(uow)
    client = signed_in_client(app, "uw1")
    for path in ["/", "/inbox", "/inbox?tab=groups", f"/tasks/{task_id}", f"/cases/{case_id}"]:
        page = client.get(path)
        assert page.status_code == 200, path
        assert re.search(r"<title>[^<]+ · Insurflow</title>", page.get_data(as_text=True)), path


def test_inbox_lists_claims_and_counts(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    case_id, task_id = _referred_case(uow)
    key = flows.show(uow, case_id).case.business_key
    client = signed_in_client(app, "uw1")
    groups = client.get("/inbox?tab=groups").get_data(as_text=True)
    assert key in groups and "Mei Lin" in groups and 'id="count-groups">1<' in groups
    claimed = _post(client, f"/tasks/{task_id}/claim")
    assert claimed.status_code == 302 and claimed.location.endswith(f"/tasks/{task_id}")
    mine = client.get("/inbox").get_data(as_text=True)
    assert 'id="count-mine">1<' in mine and 'id="count-groups">0<' in mine
    assert _task(uow, task_id).assignee == "uw1"


def test_inbox_search_filter_and_bad_filter(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    case_id, _ = _referred_case(uow)
    key = flows.show(uow, case_id).case.business_key
    client = signed_in_client(app, "uw1")
    assert key in client.get(f"/inbox?tab=groups&search={key}").get_data(as_text=True)
    assert key not in client.get("/inbox?tab=groups&search=zzz").get_data(as_text=True)
    assert key not in client.get("/inbox?tab=groups&due=overdue").get_data(as_text=True)
    bad = client.get("/inbox?sort=sideways")
    assert bad.status_code == 400 and "choose one of" in bad.get_data(as_text=True)


def test_saved_filter_is_listed_and_opens_the_view(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    client = signed_in_client(app, "uw1")
    saved = _post(client, "/inbox/filters", name="Overdue", tab="groups", due="overdue")
    assert saved.status_code == 302 and "due=overdue" in saved.location
    page = client.get("/inbox").get_data(as_text=True)
    assert ">Overdue</a>" in page and "tab=groups&amp;due=overdue" in page


def test_bad_input_shows_every_error_and_keeps_what_was_typed(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    case_id, task_id = _referred_case(uow)
    client = signed_in_client(app, "uw1")
    answer = _post(client, f"/tasks/{task_id}", action="complete",
                   decision="accept_with_loading", loading_percent="lots", reason="")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert html.count('aria-invalid="true"') >= 2 and 'value="lots"' in html
    assert _task(uow, task_id).status == "open"
    assert flows.show(uow, case_id).case.status == "active"


def test_complete_goes_to_next_own_task_or_inbox(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    client = signed_in_client(app, "clerk1")
    started = _post(client, "/new/application", **{
        k: ("true" if v is True else "" if v is False else v)
        for k, v in applicant(id_number="B7").items()})
    assert started.status_code == 302 and "/tasks/" in started.location
    premium_task = started.location.rsplit("/", 1)[1]
    done = _post(client, f"/tasks/{premium_task}", action="complete", method="online",
                 amount="450.00", paid_on="2026-11-25")
    assert done.status_code == 302
    # accepted by the rules, so the clerk's next task is delivery in the same case
    assert "/tasks/" in done.location and done.location.rsplit("/", 1)[1] != premium_task
    delivery = done.location.rsplit("/", 1)[1]
    assert _task(uow, delivery).element_id == "deliver_policy"
    finished = _post(client, f"/tasks/{delivery}", action="complete", method="mail",
                     sent_on="2026-11-25")
    assert finished.status_code == 302
    after = _post(client, f"/tasks/{finished.location.rsplit('/', 1)[1]}", action="complete",
                  receipt_signed_on="2026-11-25", signed_by="Mei Lin",
                  receipt_reference="RCPT-9")
    assert after.location.endswith("/inbox")
    assert "Completed" in client.get("/inbox").get_data(as_text=True)


def test_draft_keeps_partial_input_for_that_user(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    case_id, task_id = _referred_case(uow)
    client = signed_in_client(app, "uw1")
    saved = _post(client, f"/tasks/{task_id}", action="draft", reason="Still reading")
    assert saved.status_code == 302
    assert "Still reading" in client.get(f"/tasks/{task_id}").get_data(as_text=True)
    other = signed_in_client(app, "sup1")
    assert "Still reading" not in other.get(f"/tasks/{task_id}").get_data(as_text=True)
    with uow() as work:
        assert work.session.scalars(select(TaskDraft)).one().username == "uw1"
    assert flows.show(uow, case_id).case.status == "active"


def test_error_pages(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    case_id, task_id = _referred_case(uow)
    clerk, uw = signed_in_client(app, "clerk1"), signed_in_client(app, "uw1")
    assert clerk.get(f"/tasks/{task_id}").status_code == 403
    assert clerk.get("/cases/99999").status_code == 404
    assert clerk.get("/tasks/no-such-task").status_code == 404
    _post(uw, f"/tasks/{task_id}/claim")
    taken = _post(uw, f"/tasks/{task_id}", action="complete", decision="accept",
                  reason="Fine")
    assert taken.status_code == 302
    again = _post(uw, f"/tasks/{task_id}", action="complete", decision="accept", reason="Twice")
    assert again.status_code == 409 and "already completed" in again.get_data(as_text=True)
    for page in (clerk.get(f"/tasks/{task_id}"), again):
        assert "Traceback" not in page.get_data(as_text=True)
    kinds = [e.kind for e in flows.show(uow, case_id).events]
    assert kinds.count("task_completed") == 2  # premium + one underwriting decision


def test_claimed_by_someone_else_is_a_conflict(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    _, task_id = _referred_case(uow)
    sup = signed_in_client(app, "sup1")
    uw = signed_in_client(app, "uw1")
    _post(uw, f"/tasks/{task_id}/claim")
    with UnitOfWork(app.extensions["insurflow.sessions"]) as work:
        users.add_user(work.session, "uw2", "Second Underwriter", "uw2-password-long",
                       ["underwriter"])
        work.commit()
    uw2 = app.test_client()
    sign_in(uw2, "uw2", "uw2-password-long")
    taken = _post(uw2, f"/tasks/{task_id}", action="complete", decision="accept", reason="x")
    assert taken.status_code == 409 and "claimed by uw1" in taken.get_data(as_text=True)
    assert _post(uw2, f"/tasks/{task_id}/claim").status_code == 409
    moved = _post(sup, f"/tasks/{task_id}/reassign", assignee="uw2")
    assert moved.status_code == 302 and _task(uow, task_id).assignee == "uw2"
    with uow() as work:
        kinds = list(work.session.scalars(select(AuditEvent.kind).order_by(AuditEvent.seq)))
    assert kinds[-2:] == ["task_claimed", "task_reassigned"]


# role -> expected status of each page/action (200 page, 302 action done, 403 refused, 404
# out of reach: the claims roles work no lane of new business, so its case is not theirs)
PAGES = ["inbox", "inbox_all", "new_application", "new_claim", "uw_task", "case"]
ACTIONS = ["claim_uw_task", "reassign_uw_task"]
MATRIX = {
    "clerk1": [200, 403, 200, 403, 403, 200, 403, 403],
    "uw1": [200, 403, 403, 403, 200, 200, 302, 403],
    "suw1": [200, 403, 403, 403, 403, 200, 403, 403],
    "ch1": [200, 403, 403, 200, 404, 404, 404, 403],
    "sch1": [200, 403, 403, 403, 404, 404, 404, 403],
    "cm1": [200, 403, 403, 403, 404, 404, 404, 403],
    "fin1": [200, 403, 403, 403, 404, 404, 404, 403],
    "sup1": [200, 200, 403, 403, 200, 200, 403, 302],
    "aud1": [200, 200, 403, 403, 200, 200, 403, 403],
    "admin": [200, 200, 403, 403, 200, 200, 403, 302],
}


@pytest.mark.parametrize("username", sorted(DEMO_USERS))
def test_permission_matrix(app: Flask, uow, username: str) -> None:  # type: ignore[no-untyped-def]
    assert set(MATRIX) == set(DEMO_USERS)
    case_id, task_id = _referred_case(uow)
    signed_in_client(app, "uw1")  # the reassign target exists
    client = signed_in_client(app, username)
    urls = {"inbox": "/inbox", "inbox_all": "/inbox?tab=all", "new_application":
            "/new/application", "new_claim": "/new/claim", "uw_task": f"/tasks/{task_id}",
            "case": f"/cases/{case_id}"}
    seen = [client.get(urls[name]).status_code for name in PAGES]
    seen.append(_post(client, f"/tasks/{task_id}/claim").status_code)
    if seen[-1] == 302:  # give it back so the reassign check starts from the same place
        _post(client, f"/tasks/{task_id}/release")
    seen.append(_post(client, f"/tasks/{task_id}/reassign", assignee="uw1").status_code)
    assert dict(zip(PAGES + ACTIONS, seen, strict=True)) == dict(
        zip(PAGES + ACTIONS, MATRIX[username], strict=True))
