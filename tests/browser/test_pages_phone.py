"""Start, task and case pages on a 375px phone: nothing makes the page scroll sideways."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.support import flows
from tests.support.applicants import applicant
from tests.support.browser import LiveServer, screenshot_path, sign_in, unique_token


def _width(page) -> int:  # type: ignore[no-untyped-def]
    return int(page.evaluate("document.documentElement.scrollWidth"))


def test_start_task_and_case_pages_fit_a_phone(browser: Browser,
                                              live_server: LiveServer) -> None:
    token = unique_token()
    case_id = flows.start(live_server.uow, "new_business", applicant(
        full_name=f"Ivy Phone {token}", id_number=f"ID-{token}"))
    task_id = flows.open_task(live_server.uow, case_id, "record_first_premium")
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True,
                                  has_touch=True)
    try:
        phone = context.new_page()
        sign_in(phone, live_server.url, "clerk1")
        pages = {"start": "/new/application", "task": f"/tasks/{task_id}",
                 "case": f"/cases/{case_id}"}
        for name, path in pages.items():
            phone.goto(f"{live_server.url}{path}")
            expect(phone.get_by_role("heading", level=1)).to_be_visible()
            if name == "case":  # wait for bpmn-js, whose canvas is the widest thing here
                expect(phone.locator(".case-diagram svg").first).to_be_attached()
            assert _width(phone) <= 375, f"the {name} page scrolls sideways ({_width(phone)}px)"
            phone.screenshot(path=screenshot_path(
                f"test_start_task_and_case_pages_fit_a_phone[{live_server.backend}]",
                f"{name}-phone"), full_page=True)
    finally:
        context.close()
