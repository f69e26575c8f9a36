"""The forms' rules (x-rules) at every door: a web form shows each error next to its field,
the JSON API answers 400 with every field's errors, the CLI names them, and a refused
payment message is recorded nowhere; in each case nothing moves and no incident arises."""

from __future__ import annotations

import html
import json
import re

import pytest
from flask import Flask
from sqlalchemy import func, select

from app import create_app
from engine.clock import set_clock
from handlers import ensure_products
from models import Case, InboundMessage, Incident, Payment
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

CLAIM = {"policy_number": "POL-000001", "loss_date": "2026-11-25", "cause": "accident",
         "description": "Fell from a ladder", "amount_claimed": "-50.00"}
NEGATIVE_CLAIM = "The amount claimed must be more than zero."
SHORT_PREMIUM = "Must be the premium due, 450.00: a short or over payment is not booked."


@pytest.fixture
def app(database_url: str, uow) -> Flask:  # type: ignore[no-untyped-def]
    set_clock(lambda: TODAY)  # the dates below are the suite's day
    flows.deploy(uow)
    with uow() as work:
        ensure_products(work.session)
        work.commit()
    return create_app({"DATABASE_URL": database_url, "TESTING": True})


def _count(uow, model: type) -> int:  # type: ignore[no-untyped-def]
    with uow() as work:
        return int(work.session.scalar(select(func.count()).select_from(model)) or 0)


def _field_error(page: str, name: str) -> str:
    found = re.search(rf'id="field-{name}-error">.*?</span>(.*?)</p>', page, re.S)
    assert found, f"no error shown next to {name}"
    return html.unescape(found.group(1))


def test_a_negative_claim_is_refused_on_the_web_form(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    client = signed_in_client(app, "ch1")
    answer = client.post("/new/claim", data={"csrf_token": csrf_token(client, "/new/claim"),
                                             **CLAIM, "loss_date": "2026-11-26"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert _field_error(page, "amount_claimed") == NEGATIVE_CLAIM
    assert _field_error(page, "loss_date") == "Must not be after today (2026-11-25)."
    assert 'value="-50.00"' in page and _count(uow, Case) == 0


def test_a_negative_claim_is_refused_by_the_api(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    answer = api_client(app, "ch1").post("/api/v1/cases", json={
        "process_id": "claims", "data": {**CLAIM, "cause": "boredom"}})
    assert answer.status_code == 400
    assert answer.get_json()["error"]["fields"] == {
        "cause": ["Choose one of: accident, illness, death, fire, theft, water_damage, "
                  "natural_disaster, other."],
        "amount_claimed": [NEGATIVE_CLAIM]}
    assert _count(uow, Case) == 0


def _premium_task(uow) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    case_id = flows.start(uow, "new_business", applicant())
    return case_id, flows.open_task(uow, case_id, "record_first_premium")


def test_a_short_first_premium_is_refused_on_the_web_task_page(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    case_id, task_id = _premium_task(uow)
    client = signed_in_client(app, "clerk1")
    answer = client.post(f"/tasks/{task_id}", data={
        "csrf_token": csrf_token(client, "/inbox"), "action": "complete", "method": "online",
        "amount": "0.01", "paid_on": "2026-11-26"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert _field_error(page, "amount") == SHORT_PREMIUM
    assert _field_error(page, "paid_on") == "Must not be after today (2026-11-25)."
    assert flows.open_task(uow, case_id, "record_first_premium") == task_id
    assert (_count(uow, Payment), _count(uow, Incident)) == (0, 0)


def test_a_short_first_premium_is_refused_by_the_api(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    case_id, task_id = _premium_task(uow)
    answer = api_client(app, "clerk1").post(f"/api/v1/tasks/{task_id}/complete", json={
        "data": {"method": "online", "amount": "0.01", "paid_on": "2026-11-25",
                 "reference": "x" * 101}})
    assert answer.status_code == 400
    assert answer.get_json()["error"]["fields"] == {
        "reference": ["Must be at most 100 characters."], "amount": [SHORT_PREMIUM]}
    assert flows.show(uow, case_id).case.status == "active"
    assert (_count(uow, Payment), _count(uow, Incident)) == (0, 0)


def test_a_short_first_premium_is_named_by_the_cli(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    case_id, task_id = _premium_task(uow)
    ensure_demo_user(app, "clerk1")
    result = app.test_cli_runner().invoke(args=[
        "tasks", "complete", task_id, "--user", "clerk1", "--data",
        json.dumps({"method": "online", "amount": "0.01", "paid_on": "2026-11-25"})])
    assert result.exit_code == 1 and f"amount: {SHORT_PREMIUM}" in result.output
    assert "Traceback" not in result.output
    assert flows.open_task(uow, case_id, "record_first_premium") == task_id
    assert _count(uow, Payment) == 0


@pytest.mark.parametrize(("amount", "error"), [
    ("-450.00", "The amount must be more than zero."), ("0.01", SHORT_PREMIUM)])
def test_a_payment_message_breaking_a_rule_is_400_and_not_recorded(
        app: Flask, uow, amount: str, error: str) -> None:  # type: ignore[no-untyped-def]
    case_id, task_id = _premium_task(uow)
    key = flows.show(uow, case_id).case.business_key
    answer = token_client(app, "bank").post("/api/v1/messages", json={
        "name": "premium_payment_received", "key": key, "id": "BANK-1",
        "payload": {"method": "online", "amount": amount, "paid_on": "2026-11-25"}})
    assert answer.status_code == 400
    assert answer.get_json()["error"]["fields"] == {"amount": [error]}
    assert (_count(uow, InboundMessage), _count(uow, Payment), _count(uow, Incident)) == \
        (0, 0, 0)
    assert flows.open_task(uow, case_id, "record_first_premium") == task_id
