"""The web edge's generic hardening, on both databases: security headers on every kind of
response, downloads that never run in the browser, the body size limit, deep JSON, the
safe-redirect check, ids past the integer range and non-ASCII page numbers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from app import _secret_key, create_app
from models import Case, HumanTask
from services.errors import BadSetting
from tests.support import flows
from tests.support.applicants import PREMIUM, applicant
from tests.support.auth import api_client, csrf_token, signed_in_client
from web.security_headers import DOWNLOAD_POLICY

XHTML_SCRIPT = ('<html:script xmlns:html="http://www.w3.org/1999/xhtml">'
                "document.title = 'ran'</html:script>")
SMUGGLED = f"<bpmn:extensionElements>{XHTML_SCRIPT}</bpmn:extensionElements>"


def _cases(app: Flask) -> int:
    with app.extensions["insurflow.sessions"]() as session:
        return session.scalar(select(func.count()).select_from(Case)) or 0


def _assert_page_headers(response, cacheable: bool = False) -> None:  # type: ignore[no-untyped-def]
    policy = response.headers["Content-Security-Policy"]
    for directive in ("script-src 'self'", "object-src 'none'", "base-uri 'none'",
                      "frame-ancestors 'none'", "form-action 'self'"):
        assert directive in policy
    assert "unsafe" not in policy.split("script-src")[1].split(";")[0]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert ("no-store" in response.headers.get("Cache-Control", "")) is not cacheable


def test_security_headers_on_pages_api_static_and_errors(app: Flask) -> None:
    stranger = app.test_client()
    _assert_page_headers(stranger.get("/login"))
    _assert_page_headers(stranger.get("/api/v1/tasks"))  # 401
    _assert_page_headers(stranger.get("/static/forms.css"), cacheable=True)
    _assert_page_headers(stranger.get("/vendor/bpmn-viewer.js"), cacheable=True)
    clerk = signed_in_client(app, "clerk1")
    for path in ("/", "/inbox", "/cases/999", "/inbox?page=x", "/no-such-page"):
        _assert_page_headers(clerk.get(path))
    _assert_page_headers(api_client(app, "clerk1").get("/api/v1/tasks"))


def test_bpmn_with_an_xhtml_script_downloads_and_never_runs(
        app: Flask, uow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    changed = tmp_path / "processes-root"
    shutil.copytree(flows.FIXTURES, changed)
    bpmn = changed / "processes" / "basic" / "service_flow.bpmn"
    text = bpmn.read_text()
    opening_end = text.index(">", text.index("<bpmn:process ")) + 1
    bpmn.write_text(text[:opening_end] + SMUGGLED + text[opening_end:])
    flows.deploy(uow, changed)
    case_id = flows.start(uow, "service_flow", {"amount": "1250", "on": "2026-05-01"})
    response = signed_in_client(app, "admin").get(f"/cases/{case_id}/diagram.bpmn")
    assert response.status_code == 200 and XHTML_SCRIPT in response.get_data(as_text=True)
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="case-{case_id}.bpmn"'
    assert response.headers["Content-Security-Policy"] == DOWNLOAD_POLICY
    assert "sandbox" in DOWNLOAD_POLICY and "default-src 'none'" in DOWNLOAD_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_audit_downloads_are_sandboxed_attachments(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    case_id = flows.start(uow, "new_business", applicant())
    auditor = signed_in_client(app, "aud1")
    for path in (f"/audit/cases/{case_id}/history.json",
                 f"/audit/cases/{case_id}/files/processes/new_business/new_business.bpmn"):
        response = auditor.get(path)
        assert response.status_code == 200, path
        assert response.headers["Content-Disposition"].startswith("attachment; filename=")
        assert response.headers["Content-Security-Policy"] == DOWNLOAD_POLICY
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_body_over_the_limit_is_413_and_writes_nothing(
        database_url: str, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSURFLOW_MAX_BODY_BYTES", "4000")
    small = create_app({"DATABASE_URL": database_url, "TESTING": True})
    assert small.config["MAX_CONTENT_LENGTH"] == 4000
    big = {"process_id": "claims", "data": {"description": "x" * 5000}}
    answer = api_client(small, "ch1").post("/api/v1/cases", json=big)
    assert answer.status_code == 413
    assert "larger than this server accepts (4,000 bytes)" in answer.get_json()["error"]["message"]
    clerk = signed_in_client(small, "clerk1")
    page = clerk.post("/new/application", data={"csrf_token": csrf_token(clerk, "/inbox"),
                                                "name": "x" * 5000})
    assert page.status_code == 413 and b"larger than this server accepts" in page.data
    assert _cases(small) == 0


def test_max_body_setting_must_be_a_number(database_url: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSURFLOW_MAX_BODY_BYTES", "lots")
    with pytest.raises(BadSetting, match="INSURFLOW_MAX_BODY_BYTES must be a whole number"):
        create_app({"DATABASE_URL": database_url, "TESTING": True})


def test_deep_json_is_a_clear_400(app: Flask) -> None:
    client = api_client(app, "clerk1")
    for depth in (65, 20000):
        body = "[" * depth + "]" * depth
        answer = client.post("/api/v1/cases", data=body, content_type="application/json")
        assert answer.status_code == 400, depth
        assert "nested more than 64 levels" in answer.get_json()["error"]["message"]
    assert _cases(app) == 0


@pytest.mark.parametrize("text", ["Mei\x00Lin", "Mei\ud800Lin"])
def test_unstorable_text_in_json_is_refused_by_name(app: Flask, text: str) -> None:
    body = json.dumps({"process_id": "new_business", "data": applicant(full_name=text)})
    answer = api_client(app, "clerk1").post("/api/v1/cases", data=body,
                                           content_type="application/json")
    assert answer.status_code == 400
    assert "full_name" in answer.get_json()["error"]["fields"]
    assert _cases(app) == 0


def test_claim_with_a_crlf_next_is_claimed_and_says_so(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    case_id = flows.start(uow, "new_business", applicant())
    task_id = flows.open_task(uow, case_id)
    clerk = signed_in_client(app, "clerk1")
    answer = clerk.post(f"/tasks/{task_id}/claim", data={
        "csrf_token": csrf_token(clerk, "/inbox"), "next": "/inbox\r\nSet-Cookie: x=1"})
    assert answer.status_code == 302 and answer.location == f"/tasks/{task_id}"
    assert "Set-Cookie: x" not in str(answer.headers)
    with uow() as work:
        assert work.session.get(HumanTask, task_id).assignee == "clerk1"  # type: ignore[union-attr]
    assert "You claimed" in clerk.get(answer.location).get_data(as_text=True)


@pytest.mark.parametrize("path", ["/cases/2147483648", "/cases/99999999999999999999",
                                  "/api/v1/cases/9223372036854775808",
                                  "/audit/cases/1/steps/2147483648", "/cases/%D9%A3"])
def test_ids_past_the_integer_range_are_404(app: Flask, path: str) -> None:
    client = api_client(app, "admin") if path.startswith("/api/") else \
        signed_in_client(app, "admin")
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("page", ["\u0663", "\u00b2", "0", "1000001", "99999999999999999999"])
def test_bad_page_numbers_are_400(app: Flask, page: str) -> None:
    client = signed_in_client(app, "admin")
    for listing in ("/inbox", "/audit"):
        answer = client.get(listing, query_string={"page": page})
        assert answer.status_code == 400, listing
        assert b"the page must be a whole number from 1 to 1,000,000" in answer.data
    assert client.get("/audit/access-log", query_string={"page": page}).status_code == 200


def test_last_possible_date_in_the_case_search(app: Flask) -> None:
    client = signed_in_client(app, "aud1")
    assert client.get("/audit?created_to=9999-12-31").status_code == 200
    answer = client.get("/audit?created_from=10000-01-01")
    assert answer.status_code == 400 and b"use a date like" in answer.data


@pytest.mark.parametrize("key", ["", "   ", "short-but-not-empty"])
def test_short_secret_key_stops_the_app(database_url: str, key: str,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INSURFLOW_SECRET_KEY", key)
    with pytest.raises(BadSetting, match="INSURFLOW_SECRET_KEY is (empty|only 19 characters)"):
        create_app({"DATABASE_URL": database_url, "TESTING": True})


def test_short_secret_key_file_stops_the_app(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INSURFLOW_SECRET_KEY", raising=False)
    bare = Flask("keytest", instance_path=str(tmp_path / "instance"))
    (tmp_path / "instance").mkdir()
    (tmp_path / "instance" / "secret_key").write_text("abc\n")
    with pytest.raises(BadSetting, match=r"the key file .*secret_key is only 3 characters"):
        _secret_key(bare)


def test_cli_names_the_short_key_without_a_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "INSURFLOW_SECRET_KEY": "too-short",
           "INSURFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    done = subprocess.run([str(Path(sys.executable).parent / "insurflow"), "routes"], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode != 0
    assert "INSURFLOW_SECRET_KEY is only 9 characters long" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


@pytest.mark.parametrize("loading", ["9" * 5000, "\u0663"])
def test_whole_number_field_refuses_what_int_cannot_read(app: Flask, uow,  # type: ignore[no-untyped-def]
                                                         loading: str) -> None:
    case_id = flows.start(uow, "new_business", applicant(health_conditions="major",
                                                         health_details="Asthma"))
    flows.complete(uow, case_id, "record_first_premium", PREMIUM)
    task_id = flows.open_task(uow, case_id, "underwriting_review")
    client = signed_in_client(app, "uw1")
    answer = client.post(f"/tasks/{task_id}", data={
        "csrf_token": csrf_token(client, "/inbox"), "decision": "accept_with_loading",
        "loading_percent": loading, "reason": "Asthma, controlled"})
    assert answer.status_code == 400 and b"Loading %" in answer.data
    assert flows.open_task(uow, case_id, "underwriting_review") == task_id
