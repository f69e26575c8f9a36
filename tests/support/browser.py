"""Helpers for browser tests: the live server handle, signing in, screenshots.

    def test_inbox(page: Page, live_server: LiveServer, screenshot) -> None:
        sign_in(page, live_server.url, "clerk1")
        ...
        screenshot("inbox")          # test-artifacts/<test name>/inbox.png
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from playwright.sync_api import Locator, Page, expect
from werkzeug.serving import BaseWSGIServer

from cli.demo import DEMO_USERS, demo_password
from services.unit_of_work import UnitOfWork

ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")


@dataclass
class LiveServer:
    """The app served over real HTTP on 127.0.0.1, on its own seeded database."""

    url: str
    backend: str
    app: Flask
    server: BaseWSGIServer
    thread: threading.Thread

    def uow(self) -> UnitOfWork:
        """A unit of work on the live server's database, to arrange or inspect data."""
        return UnitOfWork(self.app.extensions["insurflow.sessions"])


def sign_in(page: Page, base_url: str, username: str, password: str | None = None) -> None:
    """Sign in through the real form as a demo user and wait for the signed-in header."""
    page.goto(f"{base_url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password or demo_password(username))
    page.get_by_role("button", name="Sign in").click()
    if username in DEMO_USERS and password is None:
        expect(page.locator("#signed-in-user")).to_have_text(DEMO_USERS[username][0])


def screenshot_path(test_name: str, name: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", test_name).strip("-")
    folder = ARTIFACTS / safe
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}.png"


Screenshot = Callable[[str], Path]


def sign_out(page: Page, base_url: str) -> None:
    """Press "Sign out" in the header and wait for the sign-in page."""
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{base_url}/login")


def press_tab_until_focused(page: Page, target: Locator, limit: int = 40) -> None:
    """Press Tab (keyboard only) until `target` has the focus; fail after `limit` presses."""
    handle = target.element_handle()
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("element => document.activeElement === element", handle):
            return
    raise AssertionError(f"{limit} presses of Tab never reached {target}")


def unique_token() -> str:
    """A short token that keeps a test's customers and references apart on the shared server."""
    return uuid.uuid4().hex[:8]


def field(scope: Page | Locator, label: str) -> Locator:
    """The input whose label reads exactly `label`, with or without the required mark " *"
    (the mark is aria-hidden, so it is not part of the accessible name, but it is label text)."""
    return scope.get_by_label(re.compile(rf"^{re.escape(label)}( \*)?$"))
