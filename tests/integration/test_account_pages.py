"""/account/password (a user's own password) and /admin/users (admins reset passwords and
switch accounts off and on), through the routes, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from cli.demo import DEMO_USERS, demo_password
from services import users
from services.unit_of_work import UnitOfWork
from tests.support.auth import (
    api_client,
    csrf_token,
    ensure_demo_user,
    make_token,
    signed_in_client,
)

NEW_PASSWORD = "a much longer one"


@pytest.fixture
def app(database_url: str) -> Flask:
    app = create_app({"DATABASE_URL": database_url, "TESTING": True})
    ensure_demo_user(app, "clerk1")
    return app


def _login(client: FlaskClient, username: str, password: str):  # type: ignore[no-untyped-def]
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_token(client)})


def _change(client: FlaskClient, current: str, new: str, again: str | None = None):  # type: ignore[no-untyped-def]
    return client.post("/account/password", data={
        "current_password": current, "new_password": new,
        "new_password_again": new if again is None else again,
        "csrf_token": csrf_token(client, "/account/password")})


def test_the_header_links_to_the_password_page_and_admins_to_users(app: Flask) -> None:
    clerk_page = signed_in_client(app, "clerk1").get("/").get_data(as_text=True)
    assert 'href="/account/password"' in clerk_page and 'href="/admin/users"' not in clerk_page
    admin_page = signed_in_client(app, "admin").get("/").get_data(as_text=True)
    assert 'href="/admin/users"' in admin_page


def test_a_bad_change_is_refused_with_every_reason_and_changes_nothing(app: Flask) -> None:
    client = signed_in_client(app, "clerk1")
    form = client.get("/account/password")
    assert form.status_code == 200 and 'name="new_password_again"' in form.get_data(as_text=True)
    wrong = _change(client, "not-my-password", "short", "different")
    page = wrong.get_data(as_text=True)
    assert wrong.status_code == 400
    assert "This is not your current password." in page
    assert "Use at least 10 characters." in page
    mismatch = _change(client, demo_password("clerk1"), NEW_PASSWORD, NEW_PASSWORD + "!")
    assert mismatch.status_code == 400
    assert "The two new passwords differ." in mismatch.get_data(as_text=True)
    no_token = client.post("/account/password", data={
        "current_password": demo_password("clerk1"), "new_password": NEW_PASSWORD,
        "new_password_again": NEW_PASSWORD})
    assert no_token.status_code == 400
    assert _login(app.test_client(), "clerk1", demo_password("clerk1")).status_code == 302


def test_a_change_ends_the_other_sessions_but_not_this_one(app: Flask) -> None:
    client = signed_in_client(app, "clerk1")
    other = signed_in_client(app, "clerk1")
    changed = _change(client, demo_password("clerk1"), NEW_PASSWORD)
    assert changed.status_code == 302 and changed.headers["Location"] == "/"
    assert "Your password is changed" in client.get("/").get_data(as_text=True)
    assert other.get("/").status_code == 302
    assert _login(app.test_client(), "clerk1", demo_password("clerk1")).status_code == 401
    assert _login(app.test_client(), "clerk1", NEW_PASSWORD).status_code == 302


def test_an_auditor_may_change_their_own_password(app: Flask) -> None:
    client = signed_in_client(app, "aud1")
    assert _change(client, demo_password("aud1"), NEW_PASSWORD).status_code == 302
    assert _login(app.test_client(), "aud1", NEW_PASSWORD).status_code == 302


def test_only_admins_reach_the_users_page(app: Flask) -> None:
    for username in ("clerk1", "sup1", "aud1"):
        client = signed_in_client(app, username)
        assert client.get("/admin/users").status_code == 403
        token = csrf_token(client, "/")
        for action, data in (("password", {"password": NEW_PASSWORD}),
                             ("active", {"active": "no"})):
            refused = client.post(f"/admin/users/clerk1/{action}",
                                  data={**data, "csrf_token": token})
            assert refused.status_code == 403
    assert app.test_client().get("/admin/users").status_code == 302
    assert _login(app.test_client(), "clerk1", demo_password("clerk1")).status_code == 302


def test_an_admin_resets_a_password_and_the_user_sessions_end(app: Flask) -> None:
    clerk = signed_in_client(app, "clerk1")
    admin = signed_in_client(app, "admin")
    make_token(app, "bank")
    listing = admin.get("/admin/users").get_data(as_text=True)
    assert "clerk1" in listing and "integration" in listing
    assert 'action="/admin/users/bank/password"' not in listing  # tokens, not passwords
    assert "<script" not in listing and not re.search(r"\son\w+=", listing)
    token = csrf_token(admin, "/admin/users")
    short = admin.post("/admin/users/clerk1/password", data={"password": "short",
                                                             "csrf_token": token})
    assert short.status_code == 400 and "Use at least 10 characters." in short.get_data(
        as_text=True)
    assert clerk.get("/").status_code == 200
    reset = admin.post("/admin/users/clerk1/password", data={"password": NEW_PASSWORD,
                                                             "csrf_token": token})
    assert reset.status_code == 302 and reset.headers["Location"] == "/admin/users"
    assert "New password set for clerk1" in admin.get("/admin/users").get_data(as_text=True)
    assert clerk.get("/").status_code == 302
    assert _login(app.test_client(), "clerk1", NEW_PASSWORD).status_code == 302
    no_token = admin.post("/admin/users/clerk1/password", data={"password": "x" * 12})
    assert no_token.status_code == 400
    assert _login(app.test_client(), "clerk1", NEW_PASSWORD).status_code == 302


def test_an_admin_deactivates_and_reactivates(app: Flask) -> None:
    clerk = signed_in_client(app, "clerk1")
    admin = signed_in_client(app, "admin")
    token = csrf_token(admin, "/admin/users")
    off = admin.post("/admin/users/clerk1/active", data={"active": "no", "csrf_token": token})
    assert off.status_code == 302 and clerk.get("/").status_code == 302
    assert 'value="yes"' in admin.get("/admin/users").get_data(as_text=True)
    assert _login(app.test_client(), "clerk1", demo_password("clerk1")).status_code == 401
    on = admin.post("/admin/users/clerk1/active", data={"active": "yes", "csrf_token": token})
    assert on.status_code == 302
    assert _login(app.test_client(), "clerk1", demo_password("clerk1")).status_code == 302
    ghost = admin.post("/admin/users/ghost/active", data={"active": "yes", "csrf_token": token})
    assert ghost.status_code == 404
    with UnitOfWork(app.extensions["insurflow.sessions"]) as work:
        assert users.get_user(work.session, "clerk1").active


@pytest.mark.parametrize("username", sorted(DEMO_USERS))
def test_account_permission_matrix(app: Flask, username: str) -> None:
    """Every demo role: its own password page, the users page (admins only), and no
    messages from outside with a staff sign-in, by session or HTTP Basic."""
    client = signed_in_client(app, username)
    token = csrf_token(client, "/")
    seen = {
        "password_page": client.get("/account/password").status_code,
        "users_page": client.get("/admin/users").status_code,
        "switch_user": client.post("/admin/users/clerk1/active",
                                   data={"active": "yes", "csrf_token": token}).status_code,
        "message_session": client.post("/api/v1/messages", json={},
                                       headers={"X-CSRF-Token": token}).status_code,
        "message_basic": api_client(app, username).post("/api/v1/messages",
                                                         json={}).status_code,
    }
    admin = username == "admin"
    assert seen == {"password_page": 200, "users_page": 200 if admin else 403,
                    "switch_user": 302 if admin else 403, "message_session": 403,
                    "message_basic": 403}
