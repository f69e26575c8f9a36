"""An auditor in the browser: searches a case, opens its audit page, reads a decision and
its matched rule, then steps through the case with the Next link and the arrow keys, seeing
the data change and the diagram's current-step marker move. The pages fit a phone."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from models import AuditEvent
from tests.support.audit_cases import reviewed_case
from tests.support.browser import (
    LiveServer,
    Screenshot,
    screenshot_path,
    sign_in,
    unique_token,
)


def _seq(live_server: LiveServer, case_id: int, kind: str, element_id: str) -> int:
    with live_server.uow() as work:
        seq = work.session.scalar(select(AuditEvent.seq).where(
            AuditEvent.case_id == case_id, AuditEvent.kind == kind,
            AuditEvent.element_id == element_id))
        assert seq is not None
        return seq


def _shape(page: Page, element_id: str):  # type: ignore[no-untyped-def]
    return page.locator(f'.case-diagram g.djs-element[data-element-id="{element_id}"]')


def test_auditor_searches_reads_a_decision_and_steps_through(
        page: Page, live_server: LiveServer, screenshot: Screenshot) -> None:
    token = unique_token()
    customer = f"Audra Audit {token}"
    case_id = reviewed_case(live_server.uow, full_name=customer, id_number=f"ID-{token}")
    paid = _seq(live_server, case_id, "task_completed", "record_first_premium")

    sign_in(page, live_server.url, "aud1")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit: case search")
    page.get_by_label("Customer").fill(token)
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#result-count")).to_have_text("1 case")
    page.locator("#audit-cases").get_by_role("link", name=re.compile(r"^APP-\d+$")).click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(customer)
    expect(page.locator("#replay-verdict")).to_contain_text("Replay matches.")
    decisions = page.locator("section", has=page.locator("#decisions-title"))
    expect(decisions.locator(".matched-summary").first).to_contain_text("Matched rule: row 2")
    matched = decisions.locator("table.dmn tr.matched")
    expect(matched).to_have_count(1)
    expect(matched.locator("th")).to_contain_text("2 ✔ matched")
    screenshot("audit-page")

    page.locator(f"#event-{paid - 1}").get_by_role("link", name="the case at this step").click()
    expect(page.locator("#step-position")).to_have_text(re.compile(rf"^Event {paid - 1} of"))
    expect(_shape(page, "record_first_premium")).to_have_class(re.compile(r"\bstep-current\b"))
    expect(_shape(page, "underwriting_review")).not_to_have_class(re.compile(r"\bstep-"))

    page.get_by_role("link", name="Next event →").click()
    expect(page.locator("#step-position")).to_have_text(re.compile(rf"^Event {paid} of"))
    changes = page.locator("#data-changes")  # the submitted form, before the engine ran on
    expect(changes.locator("li.added", has_text="amount")).to_be_visible()
    expect(changes.locator("li.changed", has_text="reference")).to_contain_text("TRX-1")
    expect(changes.locator("li", has_text="first_premium")).to_have_count(0)
    expect(_shape(page, "record_first_premium")).to_have_class(re.compile(r"\bstep-current\b"))
    expect(page.locator("#state-meaning")).to_contain_text("right after")

    page.get_by_role("link", name="Next event →").click()  # the booking call: its result
    expect(page.locator("#step-position")).to_have_text(re.compile(rf"^Event {paid + 1} of"))
    expect(changes.locator("li.added", has_text="first_premium")).to_be_visible()
    expect(_shape(page, "record_first_premium")).to_have_class(re.compile(r"\bstep-done\b"))
    expect(_shape(page, "book_first_premium")).to_have_class(re.compile(r"\bstep-current\b"))
    expect(_shape(page, "underwriting_review")).not_to_have_class(re.compile(r"\bstep-"))
    screenshot("step-after-premium")

    _press(page, "ArrowLeft")  # the keyboard goes back one event
    expect(page.locator("#step-position")).to_have_text(re.compile(rf"^Event {paid} of"))
    _press(page, "ArrowLeft")
    expect(page.locator("#step-position")).to_have_text(re.compile(rf"^Event {paid - 1} of"))
    expect(_shape(page, "record_first_premium")).to_have_class(re.compile(r"\bstep-current\b"))
    _press(page, "ArrowRight")
    expect(page.locator("#step-position")).to_have_text(re.compile(rf"^Event {paid} of"))


def _press(page: Page, key: str) -> None:
    """A key on the step page once its (deferred) key script runs: the position text shows
    while the page is still parsing, and a key pressed then would be lost."""
    page.wait_for_load_state("domcontentloaded")
    page.keyboard.press(key)


def test_audit_pages_fit_a_phone(browser: Browser, live_server: LiveServer) -> None:
    token = unique_token()
    case_id = reviewed_case(live_server.uow, full_name=f"Pia Phone {token}",
                            id_number=f"ID-{token}")
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True,
                                  has_touch=True)
    try:
        phone = context.new_page()
        sign_in(phone, live_server.url, "aud1")
        pages = {"search": f"/audit?customer={token}", "case": f"/audit/cases/{case_id}",
                 "report": f"/audit/cases/{case_id}/report",
                 "step": f"/audit/cases/{case_id}/steps/7"}
        for name, path in pages.items():
            phone.goto(f"{live_server.url}{path}")
            expect(phone.get_by_role("heading", level=1)).to_be_visible()
            if name == "step":
                expect(phone.locator(".case-diagram svg").first).to_be_attached()
            width = int(phone.evaluate("document.documentElement.scrollWidth"))
            assert width <= 375, f"the {name} page scrolls sideways ({width}px)"
            phone.screenshot(path=screenshot_path(
                f"test_audit_pages_fit_a_phone[{live_server.backend}]", f"{name}-phone"),
                full_page=True)
    finally:
        context.close()
