"""The auditor pages through their routes: who may open them, the case search, the access
log (a row per view) and read-only (every POST refused, no write form on any of them)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.clock import set_clock
from models import AuditAccess
from tests.support import flows
from tests.support.applicants import DELIVERY, PREMIUM, RECEIPT, applicant
from tests.support.audit_cases import referred_case, reviewed_case
from tests.support.auth import csrf_token, signed_in_client

DMN = "processes/new_business/underwriting_risk.dmn"



def _pages(case_id: int) -> list[str]:
    return ["/audit", f"/audit/cases/{case_id}", f"/audit/cases/{case_id}/report",
            f"/audit/cases/{case_id}/files/{DMN}", f"/audit/cases/{case_id}/history.json",
            "/audit/access-log"]


def _access_rows(uow) -> list[AuditAccess]:  # type: ignore[no-untyped-def]
    with uow() as work:
        return list(work.session.scalars(select(AuditAccess).order_by(AuditAccess.id)))


def _found(client: FlaskClient, query: str) -> list[str]:
    """The business keys listed by a search, in order."""
    page = client.get(f"/audit?{query}")
    assert page.status_code == 200, page.get_data(as_text=True)
    table = page.get_data(as_text=True).split('id="audit-cases"')[-1]
    return re.findall(r">((?:APP|CLM)-\d+)</a>", table) if 'id="audit-cases"' in \
        page.get_data(as_text=True) else []


def test_auditors_supervisors_and_admins_open_every_page(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    case_id = referred_case(uow)
    for username in ("aud1", "sup1", "admin"):
        client = signed_in_client(app, username)
        for path in _pages(case_id):
            expected = 403 if (username == "sup1" and path.endswith("access-log")) else 200
            assert client.get(path).status_code == expected, (username, path)
    page = signed_in_client(app, "aud1").get(f"/audit/cases/{case_id}").get_data(as_text=True)
    assert re.search(r"<title>Audit: APP-\d+ · Insurflow</title>", page)


def test_a_clerk_is_refused_every_auditor_page(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    case_id = referred_case(uow)
    client = signed_in_client(app, "clerk1")
    for path in _pages(case_id):
        answer = client.get(path)
        assert answer.status_code == 403, path
        assert "Traceback" not in answer.get_data(as_text=True)
    assert _access_rows(uow) == []  # a refused view shows nothing, so it logs nothing


def test_unknown_case_and_file_are_404(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    case_id = referred_case(uow)
    client = signed_in_client(app, "aud1")
    for path in ["/audit/cases/9999", "/audit/cases/9999/report", "/audit/cases/9999/history.json",
                 f"/audit/cases/9999/files/{DMN}", f"/audit/cases/{case_id}/files/nope.dmn",
                 f"/audit/cases/{case_id}/files/processes/claims/claim_authority.dmn"]:
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert "Not found" in answer.get_data(as_text=True)


def test_search_by_every_filter_newest_first_with_counts(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    set_clock(lambda: datetime(2020, 3, 1, 9, 0, tzinfo=UTC))
    old = flows.start(uow, "new_business", applicant(full_name="Olga Oldcase", id_number="O1"))
    set_clock(None)
    reviewed = reviewed_case(uow, full_name="Rita Reviewed", id_number="REV-1")
    waiting = referred_case(uow, full_name="Walter Waiting", id_number="WAIT-1")
    keys = {case_id: flows.show(uow, case_id).case.business_key
            for case_id in (old, reviewed, waiting)}
    client = signed_in_client(app, "aud1")
    assert _found(client, "") == [keys[waiting], keys[reviewed], keys[old]]
    assert _found(client, f"key={keys[reviewed].lower()}") == [keys[reviewed]]
    assert _found(client, "customer=walter") == [keys[waiting]]
    assert _found(client, "actor=uw1") == [keys[reviewed]]
    assert _found(client, "created_from=2020-03-01&created_to=2020-03-01") == [keys[old]]
    assert _found(client, "created_from=2020-03-02") == [keys[waiting], keys[reviewed]]
    assert _found(client, "process=claims") == []
    assert _found(client, "process=new_business&status=active") == [
        keys[waiting], keys[reviewed], keys[old]]
    page = client.get("/audit?customer=L").get_data(as_text=True)  # Olga, Walter
    assert 'id="count-active">2<' in page and 'id="count-completed">0<' in page
    assert ">2 cases<" in page


def test_a_policy_number_finds_its_application_case(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    case_id = flows.start(uow, "new_business", applicant(id_number="POL-T"))
    flows.complete(uow, case_id, "record_first_premium", PREMIUM)
    flows.complete(uow, case_id, "deliver_policy", DELIVERY)
    view = flows.complete(uow, case_id, "record_delivery_confirmation", RECEIPT)
    policy = str(view.data["issuance"]["policy_number"])
    client = signed_in_client(app, "aud1")
    assert _found(client, f"key={policy}") == [view.case.business_key]
    assert _found(client, "status=completed") == [view.case.business_key]


def test_bad_search_is_a_clear_400(app: Flask) -> None:
    client = signed_in_client(app, "aud1")
    answer = client.get("/audit?created_from=yesterday&status=lost&page=0")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "use a date like 2026-11-25" in html and "choose one of" in html
    assert "whole number" in html


def test_every_view_and_download_is_logged(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    case_id = referred_case(uow)
    client = signed_in_client(app, "aud1")
    for path in [*_pages(case_id), "/audit?customer=mei&status=active"]:
        assert client.get(path).status_code == 200, path
    rows = _access_rows(uow)
    assert [(r.username, r.page, r.case_id) for r in rows] == [
        ("aud1", "case search", None), ("aud1", "case audit", case_id),
        ("aud1", "report", case_id), ("aud1", "file", case_id),
        ("aud1", "history export", case_id), ("aud1", "access log", None),
        ("aud1", "case search", None)]
    assert rows[3].query == f"file={DMN.replace('/', '%2F')}&version=1"
    assert rows[-1].query == "customer=mei&status=active"
    log = client.get("/audit/access-log?user=aud1").get_data(as_text=True)
    assert "case audit" in log and "customer=mei&amp;status=active" in log


def test_auditor_pages_are_read_only(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    case_id = reviewed_case(uow)
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("audit.")]
    assert len(rules) >= 5
    auditor, admin = signed_in_client(app, "aud1"), signed_in_client(app, "admin")
    for path in [*_pages(case_id), f"/audit/cases/{case_id}/steps/1"]:
        token = csrf_token(auditor, "/audit")
        assert auditor.post(path, data={"csrf_token": token}).status_code == 403, path
        # and nobody can write through them: they take no POST at all
        token = csrf_token(admin, "/audit")
        assert admin.post(path, data={"csrf_token": token}).status_code == 405, path
    before = _access_rows(uow)
    views = [*_pages(case_id)[:3], "/audit/access-log", f"/audit/cases/{case_id}/steps/2"]
    for path in views:
        html = auditor.get(path).get_data(as_text=True)
        main = html.split('<main id="content"', 1)[1]  # the header's sign-out form aside
        forms = re.findall(r"<form\b[^>]*>", main)
        assert all('method="get"' in form for form in forms), (path, forms)
    assert len(_access_rows(uow)) == len(before) + len(views)
