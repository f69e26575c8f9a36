"""The JSON API: start, list, complete, show; errors as JSON with field details.

Calls authenticate with HTTP Basic as a demo user; the actor is always that user."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from tests.support import flows
from tests.support.auth import api_client, signed_in_client


@pytest.fixture
def app(database_url: str, uow) -> Flask:  # type: ignore[no-untyped-def]
    flows.deploy(uow, flows.FIXTURES)
    return create_app({"DATABASE_URL": database_url, "TESTING": True})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return api_client(app, "clerk1")


def _start(client: FlaskClient) -> dict:  # type: ignore[type-arg]
    response = client.post("/api/v1/cases", json={
        "process_id": "service_flow",
        "data": {"amount": 1250, "on": "2026-05-01"}})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_start_list_complete_show(client: FlaskClient) -> None:
    case = _start(client)
    listed = client.get("/api/v1/tasks?role=clerk").get_json()["tasks"]
    [task] = [t for t in listed if t["case_id"] == case["id"]]
    done = client.post(f"/api/v1/tasks/{task['id']}/complete",
                       json={"user": "clerk1", "data": {"ok": True}})
    assert done.status_code == 200 and done.get_json()["completed_by"] == "clerk1"
    shown = client.get(f"/api/v1/cases/{case['id']}").get_json()
    assert shown["status"] == "completed"
    assert shown["data"]["amount"] == "1250.00"
    assert [e["kind"] for e in shown["events"]][:2] == ["case_started", "service_called"]


def test_bad_task_data_gives_field_errors(client: FlaskClient) -> None:
    case = _start(client)
    task_id = client.get(f"/api/v1/cases/{case['id']}").get_json()["open_tasks"][0]["id"]
    response = client.post(f"/api/v1/tasks/{task_id}/complete",
                           json={"data": {"ok": "yes please"}})
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {"ok": ["Must be yes or no."]}


def test_completing_twice_is_a_conflict(client: FlaskClient) -> None:
    case = _start(client)
    task_id = client.get(f"/api/v1/cases/{case['id']}").get_json()["open_tasks"][0]["id"]
    body = {"data": {"ok": True}}
    assert client.post(f"/api/v1/tasks/{task_id}/complete", json=body).status_code == 200
    second = client.post(f"/api/v1/tasks/{task_id}/complete", json=body)
    assert second.status_code == 409
    assert "already completed" in second.get_json()["error"]["message"]


@pytest.mark.parametrize("path,body,status", [
    ("/api/v1/cases", None, 400),
    ("/api/v1/cases", {"process_id": "service_flow"}, 400),
    ("/api/v1/cases", {"process_id": "nope"}, 404),
    ("/api/v1/cases", {"process_id": "service_flow", "user": "someone_else"}, 400),
    ("/api/v1/tasks/unknown/complete", {"data": {}}, 404),
])
def test_errors_are_json(client: FlaskClient, path: str, body: dict | None,  # type: ignore[type-arg]
                         status: int) -> None:
    response = client.post(path, json=body) if body is not None else client.post(
        path, data="not json", content_type="application/json")
    assert response.status_code == status
    assert response.get_json()["error"]["message"]


def test_case_started_by_another_name_is_refused(client: FlaskClient) -> None:
    response = client.post("/api/v1/cases", json={"process_id": "service_flow",
                                                  "user": "ann", "data": {}})
    assert response.status_code == 400
    assert "clerk1" in response.get_json()["error"]["fields"]["user"][0]


def test_unknown_case_page_is_404_html(app: Flask) -> None:
    response = signed_in_client(app, "clerk1").get("/cases/999")
    assert response.status_code == 404
    assert b"Traceback" not in response.data and b"there is no case 999" in response.data


def test_overview_page_lists_work(app: Flask, client: FlaskClient) -> None:
    case = _start(client)
    browser = signed_in_client(app, "clerk1")
    page = browser.get("/").get_data(as_text=True)
    assert "Confirm amount" in page and f"/cases/{case['id']}" in page
    assert browser.get(f"/cases/{case['id']}").status_code == 200


def test_a_task_outside_my_roles_is_forbidden(app: Flask, client: FlaskClient) -> None:
    case = _start(client)
    task_id = client.get(f"/api/v1/cases/{case['id']}").get_json()["open_tasks"][0]["id"]
    underwriter = api_client(app, "uw1")
    # service_flow has only a clerk lane: the underwriter cannot even see the task
    refused = underwriter.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"ok": True}})
    assert refused.status_code == 404
    assert refused.get_json()["error"]["message"] == f"there is no task {task_id}"
    started = underwriter.post("/api/v1/cases", json={
        "process_id": "service_flow", "data": {"amount": 1, "on": "2026-05-01"}})
    assert started.status_code == 403
    assert client.get(f"/api/v1/cases/{case['id']}").get_json()["status"] == "active"
