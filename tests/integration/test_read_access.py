"""Need-to-know reads (services/case_access.py) on every surface that shows a case or task.

One new business case, referred to underwriting with a health declaration, seen by every
kind of user: a lane role holder, someone from the other line of business (claims), the
person who started it, one who completed one of its tasks and one who holds its open task
(all three since moved to claims), and the supervisor, auditor and admin. Out of reach is a
404 that reads exactly like an unknown id, and lists leave the case out.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient

from services import assignment, users
from services.roles import Actor
from services.unit_of_work import UnitOfWork
from tests.support import flows
from tests.support.applicants import PREMIUM, applicant
from tests.support.auth import api_client, basic_auth, csrf_token, sign_in, signed_in_client

PASSWORD = "moved-on-password"
HEALTH = "Asthma since childhood"
# kind of user -> username; the last three were clerks or underwriters and now work claims
KINDS = {"lane role holder": "suw1", "other line of business": "ch1", "case starter": "mover",
         "completed one of its tasks": "holder", "holds its open task": "keeper",
         "supervisor": "sup1", "auditor": "aud1", "admin": "admin"}
MOVED = {"mover": "clerk", "holder": "clerk", "keeper": "underwriter"}
# the task page: 200 when the task is theirs to see, 403 when only the case is
TASK_PAGE = {"suw1": 403, "ch1": 404, "mover": 403, "holder": 403, "keeper": 200,
             "sup1": 200, "aud1": 200, "admin": 200}


@dataclass(frozen=True)
class Referred:
    case_id: int
    task_id: str
    key: str


def _people(app: Flask) -> None:
    with UnitOfWork(app.extensions["insurflow.sessions"]) as work:
        for username, role in MOVED.items():
            users.add_user(work.session, username, username.title(), PASSWORD, [role])
        work.commit()


def _referred_case(app: Flask, uow) -> Referred:  # type: ignore[no-untyped-def]
    """Started by `mover`, premium recorded by `holder`, underwriting claimed by `keeper`;
    then all three move to claims, so only their part in the case lets them see it."""
    _people(app)
    case_id = flows.start(uow, "new_business", applicant(
        health_conditions="major", health_details=HEALTH), actor="mover")
    flows.complete(uow, case_id, "record_first_premium", PREMIUM, actor="holder")
    task_id = flows.open_task(uow, case_id, "underwriting_review")
    with uow() as work:
        assignment.claim(work.session, task_id, Actor("keeper", frozenset({"underwriter"})))
        for username in MOVED:
            users.set_roles(work.session, username, ["claims_handler"])
        work.commit()
    key = flows.show(uow, case_id).case.business_key
    assert key is not None
    return Referred(case_id, task_id, key)


def _clients(app: Flask, username: str) -> tuple[FlaskClient, FlaskClient]:
    """A browser session and an HTTP Basic API client for `username`."""
    if username not in MOVED:
        return signed_in_client(app, username), api_client(app, username)
    browser, api = app.test_client(), app.test_client()
    sign_in(browser, username, PASSWORD)
    api.environ_base["HTTP_AUTHORIZATION"] = basic_auth(username, PASSWORD)["Authorization"]
    return browser, api


@pytest.mark.parametrize("kind", list(KINDS))
def test_read_matrix(app: Flask, uow, kind: str) -> None:  # type: ignore[no-untyped-def]
    case = _referred_case(app, uow)
    username = KINDS[kind]
    browser, api = _clients(app, username)
    sees = kind != "other line of business"
    found = 200 if sees else 404
    page = browser.get(f"/cases/{case.case_id}")
    diagram = browser.get(f"/cases/{case.case_id}/diagram.bpmn")
    api_case = api.get(f"/api/v1/cases/{case.case_id}")
    assert (page.status_code, diagram.status_code, api_case.status_code) == (found,) * 3
    listed = [t["case_id"] for t in api.get("/api/v1/tasks").get_json()["tasks"]]
    assert (case.case_id in listed) == sees
    overview = browser.get("/").get_data(as_text=True)
    assert (f'href="/cases/{case.case_id}"' in overview) == sees
    assert browser.get(f"/tasks/{case.task_id}").status_code == TASK_PAGE[username]
    # writes on a case out of reach are 404 too; in reach but not theirs, 403
    claim = browser.post(f"/tasks/{case.task_id}/claim",
                         data={"csrf_token": csrf_token(browser, "/inbox")})
    complete = api.post(f"/api/v1/tasks/{case.task_id}/complete", json={"data": {}})
    assert (claim.status_code, complete.status_code) == ((403, 403) if sees else (404, 404))
    shown = page.get_data(as_text=True) + api_case.get_data(as_text=True) + overview
    assert (HEALTH in shown) == sees


def test_out_of_reach_reads_like_an_unknown_id(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    case = _referred_case(app, uow)
    browser, api = _clients(app, "ch1")
    unknown_case, unknown_task = case.case_id + 1000, "no-such-task"
    assert api.get(f"/api/v1/cases/{case.case_id}").get_json() == {
        "error": {"message": f"there is no case {case.case_id}"}}
    assert api.get(f"/api/v1/cases/{unknown_case}").get_json() == {
        "error": {"message": f"there is no case {unknown_case}"}}
    for path, unknown in ((f"/cases/{case.case_id}", f"/cases/{unknown_case}"),
                          (f"/tasks/{case.task_id}", f"/tasks/{unknown_task}")):
        hidden, missing = browser.get(path), browser.get(unknown)
        assert hidden.status_code == missing.status_code == 404
        ids = (str(case.case_id), case.task_id, str(unknown_case), unknown_task)
        assert _without(hidden.get_data(as_text=True), ids) == \
            _without(missing.get_data(as_text=True), ids)


def _without(html: str, ids: tuple[str, ...]) -> str:
    for value in sorted(ids, key=len, reverse=True):
        html = html.replace(f"no case {value}", "no case N").replace(f"no task {value}",
                                                                      "no task N")
    return html


@pytest.mark.parametrize("username,tab,listed", [
    ("ch1", "mine", False), ("ch1", "groups", False), ("suw1", "groups", False),
    ("keeper", "mine", True), ("sup1", "all", True), ("aud1", "all", True)])
def test_inbox_search_by_customer_name(app: Flask, uow, username: str, tab: str,  # type: ignore[no-untyped-def]
                                       listed: bool) -> None:
    """The search only looks inside the tabs, and each tab is within the read rule."""
    case = _referred_case(app, uow)
    browser, _ = _clients(app, username)
    page = browser.get(f"/inbox?tab={tab}&search=mei+lin")
    assert page.status_code == 200
    assert (case.key in page.get_data(as_text=True)) == listed


def test_other_line_of_business_stays_out_of_a_claim(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    """A claim shows its policy and customer to claims staff, never the application behind
    the policy (health declaration, id number, occupation); underwriting sees no claim."""
    new_business = flows.start(uow, "new_business", applicant(occupation="Lighthouse keeper"))
    flows.complete(uow, new_business, "record_first_premium", PREMIUM)
    flows.complete(uow, new_business, "deliver_policy", {"method": "mail",
                                                         "sent_on": "2026-11-25"})
    view = flows.complete(uow, new_business, "record_delivery_confirmation", {
        "receipt_signed_on": "2026-11-25", "signed_by": "Mei Lin", "receipt_reference": "R-1"})
    policy = str(view.data["issuance"]["policy_number"])
    claim_id = flows.start(uow, "claims", {
        "policy_number": policy, "loss_date": "2026-11-25", "cause": "accident",
        "description": "Fell from a ladder", "amount_claimed": "900.00"}, actor="ch1")
    task_id = flows.open_task(uow, claim_id)
    handler, handler_api = _clients(app, "ch1")
    shown = "".join(response.get_data(as_text=True) for response in (
        handler.get(f"/cases/{claim_id}"), handler.get(f"/tasks/{task_id}"),
        handler_api.get(f"/api/v1/cases/{claim_id}")))
    assert policy in shown and "Mei Lin" in shown
    for private in ("A123456789", "Lighthouse keeper", "Health declaration"):
        assert private not in shown
    underwriter, underwriter_api = _clients(app, "uw1")
    assert underwriter.get(f"/cases/{claim_id}").status_code == 404
    assert underwriter.get(f"/tasks/{task_id}").status_code == 404
    assert underwriter_api.get(f"/api/v1/cases/{claim_id}").status_code == 404
    assert claim_id not in [t["case_id"] for t in
                            underwriter_api.get("/api/v1/tasks").get_json()["tasks"]]
