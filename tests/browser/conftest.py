"""Browser tests: the app on a live server, driven by Debian's headless Chromium.

Fixtures:
- `live_server`: a LiveServer (tests/support/browser.py) per database backend (SQLite and
  PostgreSQL database `insurflow_browser_<checkout hash>`, or INSURFLOW_BROWSER_PG_DB,
  like `database_url`), one per test session, with processes deployed,
  products, the demo users (`<username>-demo`) and the demo cases. Tests share it, so
  make your own cases rather than count what is there.
- `browser`: one Chromium for the session; `page`: a fresh context per test, 1280x900; the
  test fails when the browser reports any Content-Security-Policy violation on its pages.
- `screenshot`: `screenshot("name")` saves test-artifacts/<test>/name.png; a failing test
  saves `failure.png` by itself.

Chromium comes from Debian (`make browser` installs it); never a downloaded build. Without
/usr/bin/chromium the tests are skipped, unless INSURFLOW_REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import make_server

from app import create_app
from cli.demo import seed_demo_data
from models.db import make_engine
from services.unit_of_work import UnitOfWork
from tests.conftest import ROOT, migrate, postgres_or_skip
from tests.support.browser import CHROMIUM, LiveServer, Screenshot, screenshot_path

# Its own database (per checkout, like the integration tests'), never theirs.
BROWSER_PG_DB = os.environ.get(
    "INSURFLOW_BROWSER_PG_DB",
    "insurflow_browser_" + hashlib.sha256(str(ROOT).encode()).hexdigest()[:8])
REQUIRE_BROWSER = os.environ.get("INSURFLOW_REQUIRE_BROWSER") == "1"
HERE = Path(__file__).resolve().parent
CALL_FAILED = pytest.StashKey[bool]()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/browser/ carries the `browser` marker (-m "not browser")."""
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """Remember whether the test body failed, so `page` can keep a screenshot of it."""
    report = yield
    if report.when == "call":
        item.stash[CALL_FAILED] = report.failed
    return report


def _database(backend: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    if backend == "postgresql":
        return postgres_or_skip(BROWSER_PG_DB)
    url = f"sqlite:///{tmp_path_factory.mktemp('live') / 'live.db'}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def live_server(request: pytest.FixtureRequest,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    url = _database(request.param, tmp_path_factory)
    app = create_app({"DATABASE_URL": url, "TESTING": True})
    seed_demo_data(lambda: UnitOfWork(app.extensions["insurflow.sessions"]))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", backend=request.param,
                     app=app, server=server, thread=thread)
    server.shutdown()
    thread.join(timeout=10)
    app.extensions["insurflow.engine"].dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: run `make browser`"
        pytest.fail(message) if REQUIRE_BROWSER else pytest.skip(message)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    violations: list[str] = []
    context.on("console", lambda message: violations.append(f"{message.page and message.page.url}: "
                                                            f"{message.text}")
               if "Content Security Policy" in message.text else None)
    opened = context.new_page()
    yield opened
    if request.node.stash.get(CALL_FAILED, False):
        opened.screenshot(path=screenshot_path(request.node.name, "failure"), full_page=True)
    context.close()
    # Every page the test visited ran under the app's Content-Security-Policy without a refusal.
    assert not violations, "\n".join(violations)


@pytest.fixture
def screenshot(page: Page, request: pytest.FixtureRequest) -> Screenshot:
    def take(name: str) -> Path:
        path = screenshot_path(request.node.name, name)
        page.screenshot(path=path, full_page=True)
        return path

    return take
