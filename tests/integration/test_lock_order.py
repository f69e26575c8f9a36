"""A message and a task completion for the same case at the same moment, over HTTP with real
concurrent connections: one wins, the other gets 409, never a deadlock or a 500."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app import create_app
from engine.clock import set_clock
from handlers import ensure_products
from tests.processes.conftest import TODAY
from tests.support import flows
from tests.support.applicants import PREMIUM, applicant
from tests.support.auth import csrf_token, signed_in_client, token_client

ROUNDS = 32
PAYMENT = {"method": "online", "amount": "450.00", "paid_on": "2026-11-25", "reference": "PSP-1"}


@pytest.fixture
def app(database_url: str, uow) -> Flask:  # type: ignore[no-untyped-def]
    set_clock(lambda: TODAY)
    flows.deploy(uow)
    with uow() as work:
        ensure_products(work.session)
        work.commit()
    return create_app({"DATABASE_URL": database_url, "TESTING": True})


def _session_client(app: Flask, username: str) -> FlaskClient:
    """A browser session sending its CSRF token as the API wants it (no password hash per
    call, so the two requests of a round really run at the same moment)."""
    client = signed_in_client(app, username)
    client.environ_base["HTTP_X_CSRF_TOKEN"] = csrf_token(client, "/inbox")
    return client


def _at_once(first_waits: float, *calls: Callable[[], TestResponse]) -> list[TestResponse]:
    """Run the calls in threads released together; the first starts `first_waits` seconds
    late, so the rounds try both orders and the moments in between."""
    barrier = threading.Barrier(len(calls))
    answers: list[TestResponse | None] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        if index == 0:
            time.sleep(first_waits)
        answers[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(answer is not None for answer in answers)
    return [answer for answer in answers if answer is not None]


def _race(uow, clerk: FlaskClient, bank: FlaskClient, round_number: int) -> None:  # type: ignore[no-untyped-def]
    """One round: the clerk records the first premium as the bank's message arrives."""
    case_id = flows.start(uow, "new_business", applicant())
    key = flows.show(uow, case_id).case.business_key
    task_id = flows.open_task(uow, case_id, "record_first_premium")
    completed, message = _at_once(
        (round_number % 16) * 0.004,
        lambda: clerk.post(f"/api/v1/tasks/{task_id}/complete", json={"data": PREMIUM}),
        lambda: bank.post("/api/v1/messages", json={
            "name": "premium_payment_received", "key": key, "id": f"PSP-RACE-{round_number}",
            "payload": PAYMENT}))
    statuses = sorted([completed.status_code, message.status_code])
    assert statuses == [200, 409], (round_number, completed.get_json(), message.get_json())
    after = flows.show(uow, case_id)
    kinds = flows.kinds(after)
    if completed.status_code == 200:
        assert message.get_json()["outcome"] == "not_waiting"
        assert "message_received" not in kinds and kinds.count("task_completed") == 1
    else:
        assert "already cancelled" in completed.get_json()["error"]["message"]
        assert kinds.count("message_received") == 1 and "task_completed" not in kinds
    assert [t.element_id for t in after.open_tasks] == ["deliver_policy"]


def test_message_and_completion_at_once_have_one_winner(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    clerk, bank = _session_client(app, "clerk1"), token_client(app, "bank")
    for round_number in range(ROUNDS):
        _race(uow, clerk, bank, round_number)
