"""Signing in and out in a real browser: mouse, keyboard only, and a phone-width screen."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from cli.demo import demo_password
from tests.support.browser import LiveServer, Screenshot, screenshot_path, sign_in


def test_clerk_signs_in_and_sees_their_name(page: Page, live_server: LiveServer,
                                             screenshot: Screenshot) -> None:
    sign_in(page, live_server.url, "clerk1")
    expect(page.locator("#signed-in-user")).to_have_text("Clara Clerk")
    expect(page.locator("#signed-in-roles")).to_have_text("(Clerk)")
    expect(page).to_have_title("Overview · Insurflow")
    screenshot("signed-in")


def test_wrong_password_shows_the_error_and_keeps_the_name(page: Page, live_server: LiveServer,
                                                           screenshot: Screenshot) -> None:
    page.goto(f"{live_server.url}/login")
    page.get_by_label("Username").fill("clerk1")
    page.get_by_label("Password").fill("not-my-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("username or password is not right")
    expect(page.get_by_label("Username")).to_have_value("clerk1")
    expect(page.locator("#signed-in-user")).to_have_count(0)
    screenshot("wrong-password")


def test_sign_out_returns_to_the_sign_in_page(page: Page, live_server: LiveServer) -> None:
    sign_in(page, live_server.url, "uw1")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{live_server.url}/login")
    expect(page.get_by_role("status")).to_have_text("You have signed out.")
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/login?next=/")


def test_phone_width_sign_in(browser: Browser, live_server: LiveServer) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True,
                                  has_touch=True)
    try:
        phone = context.new_page()
        phone.goto(f"{live_server.url}/login")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the sign-in page scrolls sideways ({width}px wide)"
        sign_in(phone, live_server.url, "sup1")
        expect(phone.get_by_role("button", name="Sign out")).to_be_visible()
        assert phone.evaluate("document.documentElement.scrollWidth") <= 375
        shot = screenshot_path(f"test_phone_width_sign_in[{live_server.backend}]", "signed-in")
        phone.screenshot(path=shot, full_page=True)
    finally:
        context.close()


def test_keyboard_only_sign_in(page: Page, live_server: LiveServer,
                               screenshot: Screenshot) -> None:
    page.goto(f"{live_server.url}/login")
    page.keyboard.press("Tab")  # first stop: the skip link
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Username")).to_be_focused()
    page.keyboard.type("fin1")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(demo_password("fin1"))
    page.keyboard.press("Enter")
    expect(page.locator("#signed-in-user")).to_have_text("Fatima Finance")
    screenshot("keyboard-signed-in")

