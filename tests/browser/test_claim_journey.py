"""A large claim walked through the browser: intake, investigation, assessment, the claims
manager's approval (done with the keyboard only) and the payout by finance.

The policy it claims on is issued through the service layer (a new-business case run to
the policy in force); everything about the claim itself happens in the browser.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.support import flows
from tests.support.applicants import applicant
from tests.support.browser import (
    LiveServer,
    Screenshot,
    field,
    press_tab_until_focused,
    sign_in,
    sign_out,
    unique_token,
)
from tests.support.clock import SUITE_TODAY

TODAY = SUITE_TODAY
# claim_authority.dmn: from 50,000 only the claims manager may approve.
AMOUNT = "80000.00"


def _policy_in_force(live_server: LiveServer, token: str) -> str:
    """A policy issued by a new-business case run through the services, as a clerk would."""
    uow = live_server.uow
    case_id = flows.start(uow, "new_business", applicant(
        full_name=f"Ravi Claimant {token}", id_number=f"ID-{token}", sum_insured="500000.00"))
    flows.complete(uow, case_id, "record_first_premium", {
        "method": "bank_transfer", "amount": "900.00", "paid_on": TODAY})
    flows.complete(uow, case_id, "deliver_policy", {"method": "mail", "sent_on": TODAY})
    view = flows.complete(uow, case_id, "record_delivery_confirmation", {
        "receipt_signed_on": TODAY, "signed_by": "Ravi", "receipt_reference": f"R-{token}"})
    assert view.case.status == "completed", view.incidents
    return str(view.data["issuance"]["policy_number"])


def _radio(page: Page, group: str, option: str) -> None:
    page.get_by_role("radiogroup", name=group).get_by_label(option, exact=True).check()


def _handler_takes_in_investigates_and_assesses(page: Page, live_server: LiveServer,
                                                 policy: str) -> tuple[str, str]:
    sign_in(page, live_server.url, "ch1")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New claim").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Claim")
    field(page, "Policy number").fill(policy)
    field(page, "Date of loss").fill(TODAY)
    field(page, "Cause").select_option(label="Accident")
    field(page, "Description").fill("Fell from a ladder while painting; broken hip")
    field(page, "Amount claimed").fill(AMOUNT)
    page.get_by_role("button", name="Start").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Investigate claim")
    case_link = page.locator("main").get_by_role("link", name=re.compile(r"^CLM-\d+$"))
    key, case_url = case_link.inner_text(), str(case_link.get_attribute("href"))
    field(page, "Cause confirmed").check()
    field(page, "Extent of loss").fill("Hip fracture, surgery and 3 months off work")
    field(page, "Findings").fill("Hospital records match the statement")
    _radio(page, "Recommendation", "Continue")
    page.get_by_role("button", name="Complete task").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Assess loss")
    field(page, "Amount to pay").fill(AMOUNT)
    field(page, "Rationale").fill("Full amount: covered accident, invoices checked")
    page.get_by_role("button", name="Complete task").click()
    # Approval is the manager's, not the handler's: back to the inbox.
    expect(page.get_by_role("status").first).to_have_text(
        f"Completed \u201cAssess loss\u201d for {key}.")
    expect(page).to_have_url(re.compile(r"/inbox$"))
    sign_out(page, live_server.url)
    return key, case_url


def _manager_approves_with_keyboard_only(page: Page, live_server: LiveServer, key: str,
                                         comment: str) -> None:
    sign_in(page, live_server.url, "cm1")
    page.goto(f"{live_server.url}/inbox?tab=groups&search={key}")
    task_link = page.get_by_role("row").filter(has_text=key).get_by_role(
        "link", name="Approve claim")
    press_tab_until_focused(page, task_link)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Approve claim")

    approve = page.get_by_role("radio", name="Approve", exact=True)
    press_tab_until_focused(page, approve)
    page.keyboard.press("Space")
    expect(approve).to_be_checked()
    page.keyboard.press("Tab")
    expect(field(page, "Comment")).to_be_focused()
    page.keyboard.type(comment)
    page.keyboard.press("Tab")
    expect(field(page, "Rejection reason")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Complete task")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").first).to_have_text(
        f"Completed \u201cApprove claim\u201d for {key}.")
    sign_out(page, live_server.url)


def _finance_pays(page: Page, live_server: LiveServer, key: str, token: str) -> None:
    sign_in(page, live_server.url, "fin1")
    page.goto(f"{live_server.url}/inbox?tab=groups&search={key}")
    page.get_by_role("row").filter(has_text=key).get_by_role("link", name="Pay claim").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pay claim")
    _radio(page, "Payout method", "Bank transfer")
    field(page, "Paid on").fill(TODAY)
    field(page, "Reference").fill(f"PAY-{token}")
    page.get_by_role("button", name="Complete task").click()
    expect(page.get_by_role("status").first).to_have_text(
        f"Completed \u201cPay claim\u201d for {key}.")


def test_large_claim_approved_by_the_manager_and_paid(
        page: Page, live_server: LiveServer, screenshot: Screenshot) -> None:
    token = unique_token()
    policy = _policy_in_force(live_server, token)
    key, case_url = _handler_takes_in_investigates_and_assesses(page, live_server, policy)
    comment = f"Within my authority; evidence complete ({token})"
    _manager_approves_with_keyboard_only(page, live_server, key, comment)
    _finance_pays(page, live_server, key, token)

    page.goto(f"{live_server.url}{case_url}")
    expect(page.locator("#case-status")).to_have_text("completed")
    history = page.locator("#case-history")
    for line in (
        "ch1 started the case",
        "Claims handler ch1 cleared the claim for assessment: Hospital records match the statement",
        "Claims handler ch1 completed \u201cAssess loss\u201d",
        "\u201cApprove claim\u201d is waiting for the Claims manager group",
        f"Claims manager cm1 approved the claim: {comment}",
        "Finance fin1 completed \u201cPay claim\u201d",
        "The case was completed",
    ):
        expect(history).to_contain_text(line)
    expect(page.locator(".case-diagram")).to_have_class(re.compile(r"\bis-drawn\b"))
    canvas = page.locator(".case-diagram__canvas")
    for element_id in ("approve_claim_manager", "pay_claim_task"):
        expect(canvas.locator(f'g.djs-element[data-element-id="{element_id}"]')).to_have_class(
            re.compile(r"\bstep-done\b"))
    expect(canvas.locator('g.djs-element[data-element-id="approve_claim_handler"]')) \
        .not_to_have_class(re.compile(r"\bstep-done\b"))
    expect(canvas.locator(".step-current")).to_have_count(0)
    screenshot("claim-case")
