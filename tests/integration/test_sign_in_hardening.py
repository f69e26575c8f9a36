"""API tokens on the wire, integration accounts kept off the web pages, sign-in throttling
(form and HTTP Basic, per account and per address) and sign-out that ends the session."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from app import create_app
from cli.demo import demo_password
from engine.clock import set_clock
from models import ApiToken, SignInFailure, WebSession, utcnow
from services import tokens
from services.sign_in import ACCOUNT_LIMIT, ADDRESS_LIMIT, WINDOW
from services.unit_of_work import UnitOfWork
from tests.support.auth import basic_auth, csrf_token, ensure_demo_user, make_token
from tests.support.clock import SUITE_START

THROTTLED = "Too many failed sign-in attempts. Try again in 15 minutes."


class StoppedClock:
    """The engine clock held still, moved on only when a test says so."""

    def __init__(self) -> None:
        self.now = SUITE_START

    def advance(self, by: timedelta) -> None:
        self.now += by


@pytest.fixture
def clock() -> Iterator[StoppedClock]:
    stopped = StoppedClock()
    set_clock(lambda: stopped.now)
    yield stopped


@pytest.fixture
def app(database_url: str) -> Flask:
    app = create_app({"DATABASE_URL": database_url, "TESTING": True})
    ensure_demo_user(app, "clerk1")
    return app


def _work(app: Flask) -> UnitOfWork:
    return UnitOfWork(app.extensions["insurflow.sessions"])


def _login(client: FlaskClient, username: str, password: str, address: str = "10.0.0.1"):  # type: ignore[no-untyped-def]
    return client.post("/login", environ_base={"REMOTE_ADDR": address}, data={
        "username": username, "password": password, "csrf_token": csrf_token(client)})


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_a_token_works_until_revoked(app: Flask, clock: StoppedClock) -> None:
    secret = make_token(app, "bank", ["premium_payment_received"])
    client = app.test_client()
    accepted = client.post("/api/v1/messages", json={}, headers=_bearer(secret))
    assert accepted.status_code == 400  # signed in; the empty message is what is refused
    with _work(app) as work:
        [token] = work.session.scalars(select(ApiToken)).all()
        assert token.last_used_at == clock.now and token.digest != secret
        tokens.revoke_token(work.session, token.id)
        work.commit()
    revoked = client.post("/api/v1/messages", json={}, headers=_bearer(secret))
    assert revoked.status_code == 401 and "revoked" in revoked.get_json()["error"]["message"]
    assert "Bearer" in revoked.headers["WWW-Authenticate"]
    for wrong in (secret[:-2] + "xy", "ifw_nothing_here", "not-a-token", ""):
        assert client.post("/api/v1/messages", json={}, headers=_bearer(wrong)).status_code \
            == 401


def test_an_integration_account_cannot_use_the_web_pages(app: Flask) -> None:
    secret = make_token(app, "bank")
    client = app.test_client()
    page = client.get("/", headers=_bearer(secret))
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    for password in (secret, "any-password-at-all"):  # 4 failures: under the throttle
        assert _login(client, "bank", password).status_code == 401
        assert client.get("/api/v1/tasks", headers=basic_auth("bank", password)
                          ).status_code == 401
    assert client.get("/").status_code == 302


def test_an_account_is_throttled_on_the_form_whatever_the_address(
        app: Flask, clock: StoppedClock) -> None:
    client = app.test_client()
    for attempt in range(ACCOUNT_LIMIT):
        assert _login(client, "clerk1", "wrong-password", f"10.0.1.{attempt}").status_code \
            == 401
    throttled = _login(client, "clerk1", demo_password("clerk1"), "10.0.2.1")
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "900"
    assert THROTTLED in throttled.get_data(as_text=True)
    basic = client.get("/api/v1/tasks", headers=basic_auth("clerk1"))
    assert basic.status_code == 429 and basic.get_json()["error"]["message"] == THROTTLED
    clock.advance(WINDOW - timedelta(minutes=5))
    assert "Try again in 5 minutes." in _login(client, "clerk1", "x").get_data(as_text=True)
    clock.advance(timedelta(minutes=5))
    assert _login(client, "clerk1", demo_password("clerk1")).status_code == 302
    assert client.get("/").status_code == 200


def test_an_unknown_name_is_throttled_like_a_known_one(app: Flask, clock: StoppedClock) -> None:
    client = app.test_client()
    answers = {}
    for name in ("clerk1", "nobody-here"):
        for attempt in range(ACCOUNT_LIMIT):
            _login(client, name, "wrong-password", f"10.0.3.{attempt}")
        throttled = _login(client, name, "wrong-password", "10.0.4.1")
        answers[name] = (throttled.status_code, throttled.headers.get("Retry-After"),
                         THROTTLED in throttled.get_data(as_text=True))
    assert answers["clerk1"] == answers["nobody-here"] == (429, "900", True)


def test_an_address_is_throttled_across_accounts(app: Flask, clock: StoppedClock) -> None:
    client = app.test_client()
    for attempt in range(ADDRESS_LIMIT):
        assert _login(client, f"guess{attempt}", "wrong-password", "10.9.9.9").status_code \
            == 401
    assert _login(client, "clerk1", demo_password("clerk1"), "10.9.9.9").status_code == 429
    elsewhere = app.test_client()
    assert _login(elsewhere, "clerk1", demo_password("clerk1"), "10.0.0.2").status_code == 302
    clock.advance(WINDOW)
    assert _login(client, "clerk1", demo_password("clerk1"), "10.9.9.9").status_code == 302


def test_basic_auth_is_throttled_with_retry_after(app: Flask, clock: StoppedClock) -> None:
    client = app.test_client()
    for _ in range(ACCOUNT_LIMIT):
        wrong = client.get("/api/v1/tasks", headers=basic_auth("clerk1", "wrong-password"))
        assert wrong.status_code == 401
    refused = client.get("/api/v1/tasks", headers=basic_auth("clerk1"))
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "900"
    assert refused.get_json()["error"]["message"] == THROTTLED
    assert _login(client, "clerk1", demo_password("clerk1")).status_code == 429
    clock.advance(WINDOW)
    assert client.get("/api/v1/tasks", headers=basic_auth("clerk1")).status_code == 200


def test_failures_are_pruned_after_the_window(app: Flask, clock: StoppedClock) -> None:
    client = app.test_client()
    for attempt in range(3):
        _login(client, f"guess{attempt}", "wrong-password")
    clock.advance(WINDOW)
    _login(client, "guess-late", "wrong-password")
    with _work(app) as work:
        kept = work.session.scalars(select(SignInFailure.username)).all()
        assert kept == ["guess-late"]
    assert _login(client, "clerk1", demo_password("clerk1")).status_code == 302
    _login(app.test_client(), "clerk1", "wrong-password")
    with _work(app) as work:  # guess-late and the new one: no pile-up
        assert work.session.scalar(select(func.count()).select_from(SignInFailure)) == 2


def test_a_copied_cookie_stops_working_after_sign_out(app: Flask) -> None:
    client = app.test_client()
    assert _login(client, "clerk1", demo_password("clerk1")).status_code == 302
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    assert thief.get("/").status_code == 200
    token = csrf_token(client, "/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    after = thief.get("/")
    assert after.status_code == 302 and after.headers["Location"].startswith("/login")
    assert thief.get("/api/v1/tasks").status_code == 401


def test_a_session_row_past_its_lifetime_signs_out(app: Flask) -> None:
    client = app.test_client()
    assert _login(client, "clerk1", demo_password("clerk1")).status_code == 302
    with _work(app) as work:
        work.session.execute(update(WebSession).values(
            created_at=utcnow() - app.permanent_session_lifetime - timedelta(seconds=1)))
        work.commit()
    assert client.get("/").status_code == 302
