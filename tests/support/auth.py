"""Signing in from tests: demo users on demand, a signed-in test client, CSRF tokens.

    client = signed_in_client(app, "clerk1")           # browser session, like a clerk
    client.post("/some/form", data={"csrf_token": csrf_token(client), ...})
    api = api_client(app, "uw1")                        # HTTP Basic on every request
    bank = token_client(app, "bank", ["premium_payment_received"])  # an API token

Users come from cli.demo.DEMO_USERS (password `<username>-demo`) and are added on first use.
"""

from __future__ import annotations

import base64
import re

from flask import Flask
from flask.testing import FlaskClient

from cli.demo import demo_password, seed_demo_users
from services import tokens
from services.messages import message_names
from services.unit_of_work import UnitOfWork

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def ensure_demo_user(app: Flask, username: str) -> None:
    """Add one demo user (only that one: hashing all ten would slow every test)."""
    with UnitOfWork(app.extensions["insurflow.sessions"]) as work:
        seed_demo_users(work.session, only={username})
        work.commit()


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The session's CSRF token, read from a page (base.html's meta tag) as a browser would."""
    page = client.get(path, follow_redirects=True).get_data(as_text=True)
    found = CSRF_META.search(page)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def sign_in(client: FlaskClient, username: str, password: str | None = None) -> None:
    response = client.post("/login", data={
        "username": username, "password": password or demo_password(username),
        "csrf_token": csrf_token(client)})
    assert response.status_code == 302, f"sign-in as {username} failed: {response.status}"


def signed_in_client(app: Flask, username: str) -> FlaskClient:
    """A test client with a browser session for demo user `username`."""
    ensure_demo_user(app, username)
    client = app.test_client()
    sign_in(client, username)
    return client


def basic_auth(username: str, password: str | None = None) -> dict[str, str]:
    pair = f"{username}:{password or demo_password(username)}".encode()
    return {"Authorization": "Basic " + base64.b64encode(pair).decode()}


def api_client(app: Flask, username: str) -> FlaskClient:
    """A test client that sends HTTP Basic credentials of demo user `username` every time."""
    ensure_demo_user(app, username)
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = basic_auth(username)["Authorization"]
    return client


def make_token(app: Flask, account: str, messages: list[str] | None = None) -> str:
    """A new API token of integration account `account` (every message name by default)."""
    with UnitOfWork(app.extensions["insurflow.sessions"]) as work:
        made = tokens.create_token(work.session, account, messages or message_names())
        work.commit()
        return made.secret


def token_client(app: Flask, account: str, messages: list[str] | None = None) -> FlaskClient:
    """A test client that sends a new API token of `account` as a bearer token every time."""
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = "Bearer " + make_token(app, account, messages)
    return client
