"""The case diagram: the exact BPMN a case runs on, its done and current steps, vendor assets."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from services import diagrams
from services.errors import NotFound
from tests.support import flows
from tests.support.auth import signed_in_client
from web import vendor

START = {"amount": "1250", "on": "2026-05-01"}


@pytest.fixture
def app(database_url: str, uow) -> Flask:  # type: ignore[no-untyped-def]
    flows.deploy(uow, flows.FIXTURES)
    return create_app({"DATABASE_URL": database_url, "TESTING": True})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return signed_in_client(app, "clerk1")


def _diagram(uow, case_id: int) -> diagrams.CaseDiagram:  # type: ignore[no-untyped-def]
    with uow() as work:
        return diagrams.case_diagram(work.session, case_id, viewer=None)


def test_case_stopped_at_a_user_task(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    case_id = flows.start(uow, "service_flow", START)
    diagram = _diagram(uow, case_id)
    assert diagram.completed == ["start", "call_echo", "decide"]
    assert diagram.current == ["confirm"]
    assert diagram.names["confirm"] == "Confirm amount"
    assert '<bpmn:process id="service_flow"' in diagram.bpmn_xml


def test_completed_case_has_every_step_done(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    case_id = flows.start(uow, "service_flow", START)
    flows.complete(uow, case_id, "confirm", {"ok": True})
    diagram = _diagram(uow, case_id)
    assert diagram.completed == ["start", "call_echo", "decide", "confirm", "route", "done"]
    assert diagram.current == []


def test_open_incident_is_a_current_step(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    case_id = flows.start(uow, "service_flow", START)
    flows.complete(uow, case_id, "confirm", {"ok": False})
    diagram = _diagram(uow, case_id)
    assert diagram.current == ["call_fail"]
    assert "call_fail" not in diagram.completed and "route" in diagram.completed


def test_unknown_case_raises_not_found(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFound), uow() as work:
        diagrams.case_diagram(work.session, 999, viewer=None)


def test_xml_route_serves_the_version_the_case_runs_on(
        client: FlaskClient, uow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    old_case = flows.start(uow, "service_flow", START)
    changed = tmp_path / "fixtures"
    shutil.copytree(flows.FIXTURES, changed)
    bpmn = changed / "processes" / "basic" / "service_flow.bpmn"
    bpmn.write_text(bpmn.read_text().replace('name="Confirm amount"',
                                             'name="Confirm the amount"'))
    assert [o.version for o in flows.deploy(uow, changed) if o.process_id == "service_flow"] == [2]
    new_case = flows.start(uow, "service_flow", START)

    old = client.get(f"/cases/{old_case}/diagram.bpmn")
    new = client.get(f"/cases/{new_case}/diagram.bpmn")
    assert old.status_code == 200 and old.mimetype == "application/xml"
    assert 'name="Confirm amount"' in old.get_data(as_text=True)
    assert 'name="Confirm the amount"' in new.get_data(as_text=True)


def test_xml_route_unknown_case_is_a_404_page(client: FlaskClient) -> None:
    response = client.get("/cases/999/diagram.bpmn")
    assert response.status_code == 404
    assert response.mimetype == "text/html" and b"there is no case 999" in response.data


def test_case_page_includes_the_diagram_and_its_text_fallback(
        client: FlaskClient, uow) -> None:  # type: ignore[no-untyped-def]
    case_id = flows.start(uow, "service_flow", START)
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert f'data-diagram-url="/cases/{case_id}/diagram.bpmn"' in page
    assert "data-current='[\"confirm\"]'" in page
    assert "<li>Confirm amount</li>" in page and "<li>Call echo</li>" in page
    assert "/vendor/bpmn-viewer.js?v=" in page and "/static/diagram.js" in page


@pytest.mark.skipif(not (vendor.NODE_MODULES / "bpmn-js").is_dir(),
                    reason="node_modules/bpmn-js is missing: run `make install` (needs npm)")
def test_vendor_route_serves_the_viewer(client: FlaskClient) -> None:
    response = client.get("/vendor/bpmn-viewer.js")
    assert response.status_code == 200
    assert "javascript" in response.mimetype
    assert b"BpmnJS" in response.data
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert client.get("/vendor/diagram-js.css").mimetype == "text/css"
    response.close()


def test_vendor_route_without_node_modules_says_what_to_do(
        client: FlaskClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(vendor, "NODE_MODULES", tmp_path / "missing")
    response = client.get("/vendor/bpmn-viewer.js")
    assert response.status_code == 503
    assert response.mimetype == "text/plain"
    assert "make install" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    assert "no-store" in response.headers["Cache-Control"]


def test_vendor_route_only_serves_listed_files(client: FlaskClient) -> None:
    assert client.get("/vendor/package.json").status_code == 404
    assert client.get("/vendor/..%2Fpackage.json").status_code == 404
