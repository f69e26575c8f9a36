"""Incidents: a failing handler stops the case; an admin retries it after the fix or skips it
with a reason, from the services, the CLI and the page."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from sqlalchemy import select

from app import create_app
from handlers import REGISTRY
from models import Incident
from services import history, incidents
from services.errors import Conflict, InvalidInput
from tests.support import flows
from tests.support.auth import csrf_token, ensure_demo_user, signed_in_client


def _fix_the_failing_system(monkeypatch: pytest.MonkeyPatch) -> None:
    """What an admin would do before retrying: the system behind test.fail now accepts."""
    monkeypatch.setitem(REGISTRY._handlers, "test.fail", lambda ctx, params: {"accepted": True})


@pytest.fixture
def deployed(uow):  # type: ignore[no-untyped-def]
    flows.deploy(uow, flows.FIXTURES)
    return uow


def _stopped_case(uow) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    case_id = flows.start(uow, "service_flow", {"amount": "10", "on": "2026-03-01"})
    view = flows.complete(uow, case_id, "confirm", {"ok": False})
    [incident] = view.incidents
    return case_id, incident.id


def _retry(uow, incident_id: int) -> incidents.Resolution:  # type: ignore[no-untyped-def]
    with uow() as work:
        resolution = incidents.retry_incident(work.session, incident_id, "admin")
        work.commit()
        return resolution


def _skip(uow, incident_id: int, reason: str) -> incidents.Resolution:  # type: ignore[no-untyped-def]
    with uow() as work:
        resolution = incidents.skip_incident(work.session, incident_id, reason, "admin")
        work.commit()
        return resolution


def test_failing_handler_is_an_open_incident(deployed) -> None:
    case_id, incident_id = _stopped_case(deployed)
    with deployed() as work:
        [row] = incidents.list_open_incidents(work.session)
    assert (row.incident.id, row.case.id, row.incident.element_id) == (
        incident_id, case_id, "call_fail")


def test_retry_before_the_fix_fails_again_as_a_new_incident(deployed) -> None:
    case_id, incident_id = _stopped_case(deployed)
    resolution = _retry(deployed, incident_id)
    assert resolution.new_incident is not None and resolution.incident.status == "retried"
    view = flows.show(deployed, case_id)
    assert view.case.status == "incident"
    assert [i.status for i in view.incidents] == ["retried", "open"]


def test_retry_after_the_fix_moves_the_case_on(deployed, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    case_id, incident_id = _stopped_case(deployed)
    _fix_the_failing_system(monkeypatch)
    resolution = _retry(deployed, incident_id)
    assert resolution.new_incident is None
    view = flows.show(deployed, case_id)
    assert view.case.status == "completed"
    [incident] = view.incidents
    assert (incident.status, incident.resolved_by) == ("resolved", "admin")
    assert incident.resolved_at is not None
    assert view.data["failed"] == {"accepted": True}
    retried = [e for e in view.events if e.kind == "incident_retried"]
    assert retried[0].actor == "admin" and retried[0].payload["incident_id"] == incident_id
    with pytest.raises(Conflict):
        _retry(deployed, incident_id)


def test_skip_needs_a_reason_and_completes_the_step_without_its_handler(deployed) -> None:
    case_id, incident_id = _stopped_case(deployed)
    with pytest.raises(InvalidInput) as refused:
        _skip(deployed, incident_id, "  ")
    assert refused.value.field_errors == {"reason": ["This field is required."]}
    _skip(deployed, incident_id, "Account unfrozen by phone; booked by hand")
    view = flows.show(deployed, case_id)
    assert view.case.status == "completed"
    assert view.data["failed"] == {"skipped": True,
                                   "reason": "Account unfrozen by phone; booked by hand"}
    [incident] = view.incidents
    assert (incident.status, incident.resolution_note) == (
        "skipped", "Account unfrozen by phone; booked by hand")
    lines = [line.text for line in history.describe(view.events, "service_flow")]
    assert "admin skipped call_fail without running it: Account unfrozen by phone; " \
           "booked by hand" in lines


@pytest.fixture
def app(database_url: str, deployed) -> Flask:  # type: ignore[no-untyped-def]
    return create_app({"DATABASE_URL": database_url, "TESTING": True})


def test_cli_lists_retries_and_skips(app: Flask, deployed) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    for command in (["incidents", "list"], ["incidents", "retry"], ["incidents", "skip"]):
        shown = runner.invoke(args=[*command, "--help"])
        assert shown.exit_code == 0 and "Usage:" in shown.output
    _, first = _stopped_case(deployed)
    _, second = _stopped_case(deployed)
    listed = json.loads(runner.invoke(args=["incidents", "list", "--json"]).output)
    assert [row["id"] for row in listed] == [first, second]
    assert listed[0]["business_key"] is None and listed[0]["element_id"] == "call_fail"
    ensure_demo_user(app, "admin")
    failed_again = runner.invoke(args=["incidents", "retry", str(first), "--user", "admin"])
    assert failed_again.exit_code == 3 and "failed again" in failed_again.output
    no_reason = runner.invoke(args=["incidents", "skip", str(second), "--user", "admin"])
    assert no_reason.exit_code == 2 and "--reason" in no_reason.output
    skipped = runner.invoke(args=["incidents", "skip", str(second), "--reason", "done by hand",
                                  "--user", "admin", "--json"])
    assert skipped.exit_code == 0, skipped.output
    shown = json.loads(skipped.output)
    assert shown["incident"]["status"] == "skipped" and shown["case"]["status"] == "completed"
    assert shown["incident"]["resolved_by"] == "admin"
    unknown = runner.invoke(args=["incidents", "retry", "4242", "--user", "admin"])
    assert unknown.exit_code == 1 and "there is no incident 4242" in unknown.output


def test_page_lists_incidents_for_overseers_only(app: Flask, deployed) -> None:  # type: ignore[no-untyped-def]
    _, incident_id = _stopped_case(deployed)
    admin_page = signed_in_client(app, "admin").get("/incidents").get_data(as_text=True)
    assert f'id="incident-{incident_id}"' in admin_page and "Retry" in admin_page
    supervisor_page = signed_in_client(app, "sup1").get("/incidents")
    assert supervisor_page.status_code == 200
    assert "account frozen" in supervisor_page.get_data(as_text=True)
    assert "Retry</button>" not in supervisor_page.get_data(as_text=True)
    assert signed_in_client(app, "aud1").get("/incidents").status_code == 200
    assert signed_in_client(app, "clerk1").get("/incidents").status_code == 403


def test_page_retry_and_skip_need_an_admin_and_the_form_token(app: Flask, deployed,  # type: ignore[no-untyped-def]
                                                              monkeypatch) -> None:
    _, incident_id = _stopped_case(deployed)
    retry = f"/incidents/{incident_id}/retry"
    for username in ("clerk1", "sup1", "aud1"):
        client = signed_in_client(app, username)
        response = client.post(retry, data={"csrf_token": csrf_token(client, "/inbox")})
        assert response.status_code == 403, username
    admin = signed_in_client(app, "admin")
    assert admin.post(retry).status_code == 400  # no CSRF token
    token = csrf_token(admin, "/incidents")
    blank = admin.post(f"/incidents/{incident_id}/skip", data={"csrf_token": token,
                                                              "reason": ""})
    assert blank.status_code == 400 and "This field is required." in blank.get_data(True)
    _fix_the_failing_system(monkeypatch)
    done = admin.post(retry, data={"csrf_token": token}, follow_redirects=True)
    assert done.status_code == 200
    page = done.get_data(as_text=True)
    assert f"Incident {incident_id} retried" in page and "No open incidents." in page
    with deployed() as work:
        incident = work.session.get(Incident, incident_id)
        assert incident is not None and incident.status == "resolved"
        assert work.session.scalars(select(Incident).where(Incident.status == "open")).all() == []


@pytest.mark.parametrize("username,status", [
    ("clerk1", 403), ("uw1", 403), ("suw1", 403), ("ch1", 403), ("sch1", 403), ("cm1", 403),
    ("fin1", 403), ("sup1", 200), ("aud1", 200), ("admin", 200)])
def test_who_sees_the_incidents_page_and_link(app: Flask, username: str, status: int) -> None:
    client = signed_in_client(app, username)
    assert client.get("/incidents").status_code == status
    linked = 'href="/incidents"' in client.get("/inbox").get_data(as_text=True)
    assert linked == (status == 200)
