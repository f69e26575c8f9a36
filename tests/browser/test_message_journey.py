"""A premium paid at the bank: the bank's message over real HTTP moves the case on, and the
case page shows the message in the history and the message event done on the diagram."""

from __future__ import annotations

import json
import re

from playwright.sync_api import Page, expect

from services import tokens
from tests.support import flows
from tests.support.applicants import applicant
from tests.support.browser import LiveServer, Screenshot, sign_in, unique_token
from tests.support.clock import SUITE_TODAY

TODAY = SUITE_TODAY


def test_bank_message_books_the_premium_and_shows_on_the_case(
        page: Page, live_server: LiveServer, screenshot: Screenshot) -> None:
    token = unique_token()
    case_id = flows.start(live_server.uow, "new_business", applicant(
        full_name=f"Bank Payer {token}", id_number=f"ID-{token}"))
    key = flows.show(live_server.uow, case_id).case.business_key
    with live_server.uow() as work:  # the bank is an integration account with a token
        secret = tokens.create_token(work.session, "bank", ["premium_payment_received"]).secret
        work.commit()
    answer = page.request.post(f"{live_server.url}/api/v1/messages", headers={
        "Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
        data=json.dumps({
            "name": "premium_payment_received", "key": key, "id": f"BANK-{token}",
            "payload": {"method": "bank_transfer", "amount": "450.00", "paid_on": TODAY,
                        "reference": f"TRX-{token}"}}),
        fail_on_status_code=False)
    assert answer.status == 200, answer.text()
    assert answer.json()["case_id"] == case_id

    sign_in(page, live_server.url, "clerk1")
    page.goto(f"{live_server.url}/cases/{case_id}")
    history = page.locator("#case-history")
    expect(history).to_contain_text(
        f"The message \u201cpremium payment received\u201d about {key} arrived from bank")
    expect(history).to_contain_text("The system ran \u201cBook first premium\u201d")
    expect(page.locator("main")).to_contain_text("Deliver policy")
    canvas = page.locator(".case-diagram__canvas")
    expect(page.locator(".case-diagram")).to_have_class(re.compile(r"\bis-drawn\b"))
    expect(canvas.locator('g.djs-element[data-element-id="premium_payment_received"]')) \
        .to_have_class(re.compile(r"\bstep-done\b"))
    expect(canvas.locator('g.djs-element[data-element-id="deliver_policy"]')) \
        .to_have_class(re.compile(r"\bstep-current\b"))
    expect(canvas.locator('g.djs-element[data-element-id="signed_receipt_received"]')) \
        .to_be_attached()
    screenshot("case-paid-by-bank-message")
