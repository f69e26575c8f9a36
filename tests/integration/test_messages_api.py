"""POST /api/v1/messages and `insurflow messages send` on the real processes."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app import create_app
from engine.clock import set_clock
from handlers import ensure_products
from models import InboundMessage
from tests.processes.conftest import TODAY
from tests.support import flows
from tests.support.applicants import applicant
from tests.support.auth import (
    api_client,
    csrf_token,
    ensure_demo_user,
    signed_in_client,
    token_client,
)

PAYMENT = {"method": "online", "amount": "450.00", "paid_on": "2026-11-25", "reference": "PSP-1"}


@pytest.fixture
def app(database_url: str, uow) -> Flask:  # type: ignore[no-untyped-def]
    set_clock(lambda: TODAY)
    flows.deploy(uow)
    with uow() as work:
        ensure_products(work.session)
        work.commit()
    return create_app({"DATABASE_URL": database_url, "TESTING": True})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return token_client(app, "bank")


def _waiting_for_premium(uow) -> str:  # type: ignore[no-untyped-def]
    case_id = flows.start(uow, "new_business", applicant())
    key = flows.show(uow, case_id).case.business_key
    assert key is not None
    return key


def _send(client: FlaskClient, key: str, message_id: str | None = None,
          payload: object = None, name: str = "premium_payment_received"):  # type: ignore[no-untyped-def]
    body = {"name": name, "key": key, "payload": PAYMENT if payload is None else payload}
    if message_id:
        body["id"] = message_id
    return client.post("/api/v1/messages", json=body)


def test_delivered_then_duplicate(app: Flask, client: FlaskClient, uow) -> None:  # type: ignore[no-untyped-def]
    key = _waiting_for_premium(uow)
    clerk = api_client(app, "clerk1")  # finance works claims only, so cannot read the case
    first = _send(client, key.lower(), "PSP-MSG-1")
    assert first.status_code == 200, first.get_json()
    shown = first.get_json()
    assert (shown["outcome"], shown["duplicate"], shown["key"]) == ("delivered", False, key)
    assert shown["payload"]["amount"] == "450.00"
    case = clerk.get(f"/api/v1/cases/{shown['case_id']}").get_json()
    assert [t["element_id"] for t in case["open_tasks"]] == ["deliver_policy"]
    again = _send(client, key, "PSP-MSG-1")
    assert again.status_code == 200
    assert again.get_json()["duplicate"] is True and again.get_json()["outcome"] == "delivered"
    assert len(clerk.get(f"/api/v1/cases/{shown['case_id']}").get_json()["events"]) == \
        len(case["events"])


def test_unknown_key_is_404_and_recorded(client: FlaskClient, uow) -> None:  # type: ignore[no-untyped-def]
    response = _send(client, "APP-424242", "PSP-MSG-404")
    assert response.status_code == 404
    body = response.get_json()
    assert "no case has the key APP-424242" in body["error"]["message"]
    assert body["outcome"] == "unknown_key" and body["id"] == "PSP-MSG-404"
    repeated = _send(client, "APP-424242", "PSP-MSG-404")
    assert repeated.status_code == 404 and repeated.get_json()["duplicate"] is True
    with uow() as work:
        stored = work.session.get(InboundMessage, "PSP-MSG-404")
        assert stored is not None and stored.received_by == "bank"


def test_case_not_waiting_is_409_and_recorded(client: FlaskClient, uow) -> None:  # type: ignore[no-untyped-def]
    key = _waiting_for_premium(uow)
    response = _send(client, key, "RCPT-MSG-1", name="signed_delivery_receipt_received",
                     payload={"receipt_signed_on": "2026-11-25", "signed_by": "Mei Lin",
                              "receipt_reference": "R-1"})
    assert response.status_code == 409
    assert response.get_json()["outcome"] == "not_waiting"
    assert "not waiting for the message" in response.get_json()["error"]["message"]
    with uow() as work:
        assert work.session.get(InboundMessage, "RCPT-MSG-1") is not None


def test_invalid_payload_is_400_with_fields_and_not_recorded(client: FlaskClient, uow) -> None:  # type: ignore[no-untyped-def]
    key = _waiting_for_premium(uow)
    response = _send(client, key, "BAD-1", payload={"method": "online", "amount": "a lot",
                                                    "paid_on": "yesterday", "tip": "1"})
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {
        "amount": ["Enter an amount such as 1250.00."], "paid_on": ["Enter a date as YYYY-MM-DD."],
        "tip": ["This field is not part of the form."]}
    missing = client.post("/api/v1/messages", json={"payload": {}})
    assert set(missing.get_json()["error"]["fields"]) == {"name", "key"}
    with uow() as work:
        assert work.session.scalars(select(InboundMessage)).all() == []


def test_messages_come_only_from_integration_accounts(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    key = _waiting_for_premium(uow)
    assert app.test_client().post("/api/v1/messages", json={}).status_code == 401
    for staff in (api_client(app, "fin1"), api_client(app, "admin")):
        refused = _send(staff, key)
        assert refused.status_code == 403
        assert "integration accounts" in refused.get_json()["error"]["message"]
    session_client = signed_in_client(app, "fin1")
    assert _send(session_client, key).status_code == 400  # no CSRF header
    token = csrf_token(session_client, "/")
    refused = session_client.post("/api/v1/messages", headers={"X-CSRF-Token": token},
                                  json={"name": "premium_payment_received", "key": key})
    assert refused.status_code == 403
    with uow() as work:
        assert work.session.scalars(select(InboundMessage)).all() == []


def test_a_token_sends_only_the_names_it_was_allowed(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    key = _waiting_for_premium(uow)
    post_room = token_client(app, "post-room", ["signed_delivery_receipt_received"])
    refused = _send(post_room, key, "PSP-NOT-YOURS")
    assert refused.status_code == 403
    assert "may not send the message 'premium_payment_received'" in \
        refused.get_json()["error"]["message"]
    with uow() as work:
        assert work.session.get(InboundMessage, "PSP-NOT-YOURS") is None
    assert post_room.get("/api/v1/tasks").status_code == 403  # a token reads nothing
    bank = token_client(app, "bank", ["premium_payment_received"])
    assert _send(bank, key, "PSP-YOURS").status_code == 200


def test_cli_send(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    key = _waiting_for_premium(uow)
    runner = app.test_cli_runner()
    ensure_demo_user(app, "fin1")
    assert runner.invoke(args=["messages", "send", "--help"]).exit_code == 0
    sent = runner.invoke(args=["messages", "send", "premium_payment_received", "--key", key,
                               "--payload", json.dumps(PAYMENT), "--id", "CLI-1", "--json",
                               "--user", "fin1"])
    assert sent.exit_code == 0, sent.output
    assert json.loads(sent.output)["outcome"] == "delivered"
    again = runner.invoke(args=["messages", "send", "premium_payment_received", "--key", key,
                                "--payload", json.dumps(PAYMENT), "--id", "CLI-1",
                                "--user", "fin1"])
    assert again.exit_code == 0 and "already received" in again.output
    unknown = runner.invoke(args=["messages", "send", "premium_payment_received", "--key",
                                  "APP-999", "--payload", json.dumps(PAYMENT), "--user", "fin1"])
    assert unknown.exit_code == 1 and "no case has the key APP-999" in unknown.output
    bad = runner.invoke(args=["messages", "send", "premium_payment_received", "--key", key,
                              "--payload", '{"method": "cash"}', "--user", "fin1"])
    assert bad.exit_code == 1 and "method: Choose one of" in bad.output
    assert "Traceback" not in bad.output
