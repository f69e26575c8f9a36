"""The inbox on a 375px phone: every part reachable without the page scrolling sideways."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.support import flows
from tests.support.applicants import applicant
from tests.support.browser import LiveServer, screenshot_path, sign_in, unique_token


@pytest.mark.parametrize("tab", ["groups", "all"])
def test_inbox_at_phone_width_has_no_sideways_scroll(browser: Browser, live_server: LiveServer,
                                                     tab: str) -> None:
    token = unique_token()
    name = f"Ana Phone {token}"
    flows.start(live_server.uow, "new_business",
                applicant(full_name=name, id_number=f"ID-{token}"))
    user = "clerk1" if tab == "groups" else "sup1"
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True,
                                  has_touch=True)
    try:
        phone = context.new_page()
        sign_in(phone, live_server.url, user)
        phone.goto(f"{live_server.url}/inbox?tab={tab}")
        expect(phone.get_by_role("heading", level=1)).to_have_text("Inbox")
        expect(phone.locator("table.inbox tbody tr").first).to_be_visible()
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the inbox scrolls sideways ({width}px wide)"
        # The task of the new case is there and its link can be reached on the phone.
        phone.get_by_label("Search").fill(name)
        phone.get_by_role("button", name="Show").click()
        expect(phone.locator("#result-count")).to_have_text("1 task")
        expect(phone.get_by_role("link", name="Record first premium")).to_be_visible()
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the filtered inbox scrolls sideways ({width}px wide)"
        shot = screenshot_path(
            f"test_inbox_at_phone_width_has_no_sideways_scroll[{live_server.backend}-{tab}]",
            "inbox-phone")
        phone.screenshot(path=shot, full_page=True)
    finally:
        context.close()
