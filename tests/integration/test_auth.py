"""Sign-in, sign-out, CSRF, access rules and API authentication, through the routes."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import _secret_key, create_app
from cli.demo import demo_password
from services import users
from services.unit_of_work import UnitOfWork
from tests.support import flows
from tests.support.auth import (
    api_client,
    basic_auth,
    csrf_token,
    ensure_demo_user,
    sign_in,
    signed_in_client,
)
from web.access import roles_required


@pytest.fixture
def app(database_url: str, uow) -> Flask:  # type: ignore[no-untyped-def]
    flows.deploy(uow, flows.FIXTURES)
    app = create_app({"DATABASE_URL": database_url, "TESTING": True})
    ensure_demo_user(app, "clerk1")
    return app


def _work(app: Flask) -> UnitOfWork:
    return UnitOfWork(app.extensions["insurflow.sessions"])


def _login(client: FlaskClient, username: str, password: str, **extra: str):  # type: ignore[no-untyped-def]
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_token(client), **extra})


def test_sign_in_shows_name_and_sign_out_ends_the_session(app: Flask) -> None:
    client = app.test_client()
    response = _login(client, "clerk1", demo_password("clerk1"))
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Clara Clerk" in page and "(Clerk)" in page and "Sign out" in page
    token = csrf_token(client, "/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_session_cookie_is_httponly_lax_and_renewed_at_sign_in(app: Flask) -> None:
    client = app.test_client()
    client.get("/login")
    before = client.get_cookie("session")
    response = _login(client, "clerk1", demo_password("clerk1"))
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    after = client.get_cookie("session")
    assert before is not None and after is not None and before.value != after.value


def test_wrong_password_is_401_with_message_and_username_kept(app: Flask) -> None:
    client = app.test_client()
    response = _login(client, "clerk1", "not-the-password")
    page = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "username or password is not right" in page and 'value="clerk1"' in page
    assert _login(client, "nobody", "whatever-it-is").status_code == 401
    assert client.get("/").status_code == 302


def test_stranger_is_sent_to_sign_in_and_back(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/cases/1?tab=history")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/cases/1?tab%3Dhistory"
    back = _login(client, "clerk1", demo_password("clerk1"), next="/cases/1?tab=history")
    assert back.headers["Location"] == "/cases/1?tab=history"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x",
                                    "/\\evil.example", "javascript:alert(1)", "evil"])
def test_open_redirect_is_ignored(app: Flask, target: str) -> None:
    response = _login(app.test_client(), "clerk1", demo_password("clerk1"), next=target)
    assert response.status_code == 302 and response.headers["Location"] == "/"


@pytest.mark.parametrize("token", [None, "forged"])
def test_form_without_the_right_token_is_refused_and_changes_nothing(
        app: Flask, token: str | None) -> None:
    client = signed_in_client(app, "clerk1")
    data = {"csrf_token": token} if token else {}
    response = client.post("/logout", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Your form expired; reload the page and try again." in page
    assert "Traceback" not in page
    assert client.get("/").status_code == 200  # still signed in


def test_login_form_needs_its_token(app: Flask) -> None:
    client = app.test_client()
    response = client.post("/login", data={"username": "clerk1",
                                           "password": demo_password("clerk1")})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_deactivated_user_is_signed_out_and_cannot_sign_in(app: Flask) -> None:
    client = signed_in_client(app, "clerk1")
    with _work(app) as work:
        users.set_active(work.session, "clerk1", False)
        work.commit()
    assert client.get("/").status_code == 302
    assert _login(app.test_client(), "clerk1", demo_password("clerk1")).status_code == 401
    response = app.test_client().get("/api/v1/tasks", headers=basic_auth("clerk1"))
    assert response.status_code == 401


def test_auditor_may_look_but_not_write(app: Flask) -> None:
    client = signed_in_client(app, "aud1")
    assert client.get("/").status_code == 200
    token = csrf_token(client, "/")
    refused = client.post("/login", data={"csrf_token": token})
    assert refused.status_code == 403 and "change nothing" in refused.get_data(as_text=True)
    api = api_client(app, "aud1")
    assert api.get("/api/v1/tasks").status_code == 200
    write = api.post("/api/v1/cases", json={"process_id": "service_flow", "data": {}})
    assert write.status_code == 403 and write.get_json()["error"]["message"]
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302


def test_api_needs_credentials(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/api/v1/tasks")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert "sign in" in response.get_json()["error"]["message"]
    wrong = client.get("/api/v1/tasks", headers=basic_auth("clerk1", "wrong-password"))
    assert wrong.status_code == 401 and "not right" in wrong.get_json()["error"]["message"]
    assert client.get("/api/v1/tasks", headers=basic_auth("clerk1")).status_code == 200


def test_api_with_browser_session_needs_the_csrf_header_to_write(app: Flask) -> None:
    client = signed_in_client(app, "clerk1")
    assert client.get("/api/v1/tasks").status_code == 200
    body = {"process_id": "service_flow", "data": {"amount": 5, "on": "2026-05-01"}}
    assert client.post("/api/v1/cases", json=body).status_code == 400
    token = csrf_token(client, "/")
    started = client.post("/api/v1/cases", json=body, headers={"X-CSRF-Token": token})
    assert started.status_code == 201 and started.get_json()["started_by"] == "clerk1"


def test_signed_in_user_visiting_login_goes_home(app: Flask) -> None:
    client = signed_in_client(app, "clerk1")
    assert client.get("/login").headers["Location"] == "/"


def test_secret_key_is_made_once_and_kept(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("INSURFLOW_SECRET_KEY", raising=False)
    bare = Flask("keytest", instance_path=str(tmp_path / "instance"))
    key = _secret_key(bare)
    assert len(key) > 40 and _secret_key(bare) == key
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o077 == 0
    from_environment = "from-the-environment-" + "k" * 32
    monkeypatch.setenv("INSURFLOW_SECRET_KEY", from_environment)
    assert _secret_key(bare) == from_environment


def test_session_ends_eight_hours_after_sign_in(app: Flask) -> None:
    client = signed_in_client(app, "clerk1")
    with client.session_transaction() as stored:
        stored["signed_in_at"] -= 8 * 3600 + 1
    assert client.get("/").status_code == 302


def test_roles_required_gives_403_page_to_others(database_url: str) -> None:
    app = create_app({"DATABASE_URL": database_url, "TESTING": True})

    @app.get("/supervision")
    @roles_required("supervisor", "admin")
    def supervision() -> str:
        return "team overview"

    assert app.test_client().get("/supervision").status_code == 302
    refused = signed_in_client(app, "clerk1").get("/supervision")
    assert refused.status_code == 403
    assert "You do not have the role needed for this page." in refused.get_data(as_text=True)
    assert signed_in_client(app, "sup1").get("/supervision").get_data(as_text=True) == \
        "team overview"


def test_signing_in_twice_keeps_working(app: Flask) -> None:
    client = app.test_client()
    sign_in(client, "clerk1")
    sign_in(client, "clerk1")
    assert client.get("/").status_code == 200
