"""CSRF protection for every HTML form: one random token per session, checked on writes.

Forms render `{{ csrf_field() }}`; JavaScript sends the token from the
`<meta name="csrf-token">` tag in the `X-CSRF-Token` header. The JSON API is checked in
`web/api.py` only when it is called with the browser session (HTTP Basic carries no cookie,
so it cannot be forged by another site).
"""

from __future__ import annotations

import hmac
import secrets

from flask import Flask, request, session
from markupsafe import Markup
from werkzeug.exceptions import BadRequest

SESSION_KEY = "csrf_token"
FORM_FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
EXPIRED_MESSAGE = "Your form expired; reload the page and try again."


def csrf_token() -> str:
    """This session's token, made on first use (a new session after sign-in gets a new one)."""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[SESSION_KEY] = token
    return token


def csrf_field() -> Markup:
    return Markup('<input type="hidden" name="{}" value="{}">').format(FORM_FIELD, csrf_token())


def token_is_valid(sent: str | None) -> bool:
    expected = session.get(SESSION_KEY)
    if not isinstance(expected, str) or not sent:
        return False
    return hmac.compare_digest(sent.encode(), expected.encode())


def require_token() -> None:
    """Refuse a write whose token is missing or wrong; nothing has been done yet."""
    sent = request.form.get(FORM_FIELD) or request.headers.get(HEADER)
    if not token_is_valid(sent):
        raise BadRequest(EXPIRED_MESSAGE)


def protect_forms() -> None:
    """before_request: every write outside the JSON API must carry the session's token."""
    if request.method in UNSAFE_METHODS and not request.path.startswith("/api/"):
        require_token()


def init_csrf(app: Flask) -> None:
    app.jinja_env.globals["csrf_field"] = csrf_field
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.before_request(protect_forms)
