"""A referred application walked through every role in the browser, start to policy in force.

clerk1 starts it (health conditions "major", so the risk table refers it) and records the
first premium (first with a refused post: errors beside their fields, typed values kept),
uw1 claims it from "My groups' tasks" and refers it to the senior underwriter, suw1 accepts,
clerk1 records delivery and the signed receipt. The case page then shows it completed, its
plain-language history and the diagram with every step done and none current.
"""

from __future__ import annotations

import json
import re

from playwright.sync_api import Page, expect

from tests.support import flows
from tests.support.browser import (
    LiveServer,
    Screenshot,
    field,
    sign_in,
    sign_out,
    unique_token,
)
from tests.support.clock import SUITE_TODAY

# Dates the handlers accept: not in the future (the server checks against its UTC today).
TODAY = SUITE_TODAY
USER_TASKS = ["record_first_premium", "underwriting_review", "senior_underwriting_review",
              "deliver_policy", "record_delivery_confirmation"]


def _radio(page: Page, group: str, option: str) -> None:
    page.get_by_role("radiogroup", name=group).get_by_label(option, exact=True).check()


def _start_application(page: Page, name: str, token: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New application").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Insurance application")
    field(page, "Full name").fill(name)
    field(page, "Date of birth").fill("1980-03-14")
    field(page, "ID number").fill(f"ID-{token}")
    field(page, "Phone").fill("+886 2 5555 0101")
    field(page, "Email").fill(f"{token}@example.com")
    field(page, "Postal address").fill("8 Harbour Road, Taipei")
    field(page, "Product").select_option(label="Term life")
    field(page, "Sum insured").fill("250000.00")
    _radio(page, "Channel", "Agent")
    field(page, "Occupation").fill("Accountant")
    _radio(page, "Occupation class", "Office")
    _radio(page, "Health conditions", "Major")
    field(page, "Health details").fill("Type 1 diabetes since 2010, on insulin, stable")
    field(page, "Consent").check()
    page.get_by_role("button", name="Start").click()


def _refused_premium_keeps_values(page: Page, screenshot: Screenshot) -> None:
    """Paid on left empty and a bad amount: each error beside its field, nothing lost."""
    _radio(page, "Payment method", "Bank transfer")
    field(page, "Amount").fill("45O.00")
    field(page, "Reference").fill("TRX-KEEP")
    page.get_by_role("button", name="Complete task").click()

    expect(page.get_by_role("alert")).to_contain_text("Please check these answers")
    for name, error in (("amount", "Enter an amount such as 1250.00."),
                        ("paid_on", "This field is required.")):
        wrapper = page.locator(f".form-field:has(#field-{name})")
        expect(wrapper).to_have_class(re.compile(r"form-field--invalid"))
        expect(wrapper.locator(f"#field-{name}-error")).to_have_text(f"Error: {error}")
        expect(page.locator(f"#field-{name}")).to_have_attribute("aria-invalid", "true")
        expect(page.locator(f"#field-{name}")).to_have_attribute(
            "aria-describedby", re.compile(f"field-{name}-error"))
        expect(page.get_by_role("alert").locator(f'a[href="#field-{name}"]')).to_be_visible()
    expect(page.locator(".form-field__error")).to_have_count(2)
    expect(field(page, "Amount")).to_have_value("45O.00")
    expect(field(page, "Reference")).to_have_value("TRX-KEEP")
    expect(field(page, "Bank transfer")).to_be_checked()
    # The case did not move on: still this task, still open.
    expect(page.get_by_role("heading", level=1)).to_have_text("Record first premium")
    expect(page.locator("#task-status")).to_have_text("open")
    screenshot("task-form-errors")


def _clerk_starts_and_pays(page: Page, live_server: LiveServer, name: str, token: str,
                           screenshot: Screenshot) -> tuple[str, str]:
    sign_in(page, live_server.url, "clerk1")
    _start_application(page, name, token)
    # Straight on to the next task of the new case: the first premium.
    expect(page.get_by_role("heading", level=1)).to_have_text("Record first premium")
    case_link = page.locator("main").get_by_role("link", name=re.compile(r"^APP-\d+$"))
    key = case_link.inner_text()
    case_url = str(case_link.get_attribute("href"))
    _refused_premium_keeps_values(page, screenshot)
    # ...and on the server too: the same task is open, no premium was booked.
    view = flows.show(live_server.uow, int(case_url.rsplit("/", 1)[1]))
    assert [t.element_id for t in view.open_tasks] == ["record_first_premium"]
    assert "first_premium" not in view.data
    # A short payment is refused beside the amount, naming the premium due (x-rules).
    field(page, "Amount").fill("0.01")
    field(page, "Paid on").fill(TODAY)
    page.get_by_role("button", name="Complete task").click()
    expect(page.locator("#field-amount-error")).to_have_text(
        "Error: Must be the premium due, 450.00: a short or over payment is not booked.")
    expect(page.locator(".form-field__error")).to_have_count(1)
    expect(page.locator("#task-status")).to_have_text("open")
    field(page, "Amount").fill("450.00")
    field(page, "Paid on").fill(TODAY)
    page.get_by_role("button", name="Complete task").click()
    # The next task is the underwriter's, so the clerk is back in the inbox.
    expect(page.get_by_role("status").first).to_have_text(
        f"Completed \u201cRecord first premium\u201d for {key}.")
    expect(page).to_have_url(re.compile(r"/inbox$"))
    sign_out(page, live_server.url)
    return key, case_url


def _underwriter_refers(page: Page, live_server: LiveServer, key: str, name: str,
                        reason: str, screenshot: Screenshot) -> None:
    sign_in(page, live_server.url, "uw1")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Inbox").click()
    page.get_by_role("navigation", name="Inbox tabs").get_by_role(
        "link", name=re.compile("^My groups' tasks")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inbox")
    page.get_by_label("Search").fill(name)
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#result-count")).to_have_text("1 task")
    row = page.get_by_role("row").filter(has_text=key)
    expect(row.get_by_role("cell").first).to_have_text("Underwriting review")
    screenshot("inbox")
    row.get_by_role("button", name=f"Claim Underwriting review for {key}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Underwriting review")
    expect(page.locator("#task-assignee")).to_have_text("uw1")
    _radio(page, "Decision", "Refer to senior underwriter")
    field(page, "Reason").fill(reason)
    page.get_by_role("button", name="Complete task").click()
    expect(page.get_by_role("status").first).to_have_text(
        f"Completed \u201cUnderwriting review\u201d for {key}.")
    sign_out(page, live_server.url)


def _senior_accepts(page: Page, live_server: LiveServer, key: str) -> None:
    sign_in(page, live_server.url, "suw1")
    page.goto(f"{live_server.url}/inbox?tab=groups&search={key}")
    page.get_by_role("row").filter(has_text=key).get_by_role(
        "link", name="Senior underwriting review").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Senior underwriting review")
    _radio(page, "Decision", "Accept")
    field(page, "Reason").fill("Stable for years; standard terms")
    page.get_by_role("button", name="Complete task").click()
    expect(page.get_by_role("status").first).to_contain_text("Senior underwriting review")
    sign_out(page, live_server.url)


def _clerk_delivers(page: Page, live_server: LiveServer, key: str, name: str) -> None:
    sign_in(page, live_server.url, "clerk1")
    page.goto(f"{live_server.url}/inbox?tab=groups&search={key}")
    page.get_by_role("row").filter(has_text=key).get_by_role("link", name="Deliver policy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Deliver policy")
    _radio(page, "Delivery method", "Mail")
    field(page, "Sent on").fill(TODAY)
    field(page, "Tracking reference").fill("RR123456789TW")
    page.get_by_role("button", name="Complete task").click()
    # The confirmation is the clerk's too: straight on to it.
    expect(page.get_by_role("heading", level=1)).to_have_text("Record delivery confirmation")
    field(page, "Receipt signed on").fill(TODAY)
    field(page, "Signed by").fill(name)
    field(page, "Receipt reference").fill("RCPT-77")
    page.get_by_role("button", name="Complete task").click()
    expect(page.get_by_role("status").first).to_have_text(
        f"Completed \u201cRecord delivery confirmation\u201d for {key}.")


def _diagram_all_done(page: Page) -> None:
    section = page.locator(".case-diagram")
    expect(section).to_have_class(re.compile(r"\bis-drawn\b"))
    canvas = section.locator(".case-diagram__canvas")
    expect(canvas.locator("svg").first).to_be_visible()
    completed = json.loads(str(canvas.get_attribute("data-completed")))
    assert json.loads(str(canvas.get_attribute("data-current"))) == []
    assert set(USER_TASKS) <= set(completed)
    assert "senior_underwriting_review" in completed and "application_received" in completed
    for element_id in completed:
        shape = canvas.locator(f'g.djs-element[data-element-id="{element_id}"]')
        expect(shape).to_have_class(re.compile(r"\bstep-done\b"))
    expect(canvas.locator(".step-done")).to_have_count(len(completed))
    expect(canvas.locator(".step-current")).to_have_count(0)


def test_referred_application_from_start_to_policy_in_force(
        page: Page, live_server: LiveServer, screenshot: Screenshot) -> None:
    token = unique_token()
    name = f"Mei Lin {token}"
    reason = f"Insulin-treated diabetes needs a senior view ({token})"
    key, case_url = _clerk_starts_and_pays(page, live_server, name, token, screenshot)
    _underwriter_refers(page, live_server, key, name, reason, screenshot)
    _senior_accepts(page, live_server, key)
    _clerk_delivers(page, live_server, key, name)

    page.goto(f"{live_server.url}{case_url}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{key} · {name}")
    expect(page.locator("#case-status")).to_have_text("completed")
    expect(page.locator("main")).to_contain_text("Current tasks")
    history = page.locator("#case-history")
    for line in (
        "clerk1 started the case",
        "Clerk clerk1 completed \u201cRecord first premium\u201d",
        "Underwriter uw1 claimed \u201cUnderwriting review\u201d",
        f"Underwriter uw1 referred the application: {reason}",
        "Senior underwriter suw1 accepted the application: Stable for years; standard terms",
        "Clerk clerk1 completed \u201cDeliver policy\u201d",
        "Clerk clerk1 completed \u201cRecord delivery confirmation\u201d",
        "The case was completed",
    ):
        expect(history).to_contain_text(line)
    _diagram_all_done(page)
    screenshot("case-with-diagram")
