"""Sign-in and sign-out, and loading who is signed in at the start of every request.

The session cookie holds a random session id (and the sign-in time); the session itself is a
row in the database, so sign-out, a password change, a reset or a deactivation ends it even
for a copy of the cookie. The user is read afresh on every request (one indexed lookup that
joins the session row), so changed roles apply at once. The JSON API also takes HTTP Basic
(staff) and `Authorization: Bearer <token>` (integration accounts).
"""

from __future__ import annotations

import time

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.datastructures import Authorization
from werkzeug.wrappers import Response

from services import sign_in, tokens
from services.sign_in import Throttled

from .current_user import CurrentUser, current_user
from .redirects import safe_next
from .uow import unit_of_work

auth = Blueprint("auth", __name__)

SESSION_ID_KEY = "session_id"
SIGNED_IN_AT_KEY = "signed_in_at"
BAD_CREDENTIALS = "The username or password is not right, or the account is switched off."


def load_current_user() -> None:
    """before_request: set g.user from HTTP Basic or a bearer token (API only) or the
    browser session."""
    g.user = None
    g.auth_method = None
    if request.endpoint == "static":  # no database round trip per stylesheet or image
        return
    credentials = request.authorization
    if request.path.startswith("/api/") and credentials is not None:
        if credentials.type == "basic":
            _load_basic(credentials)
            return
        if credentials.type == "bearer":
            _load_bearer(credentials.token or "")
            return
    _load_session_user()


def _load_basic(credentials: Authorization) -> None:
    """A staff user's password on an API call, throttled like the sign-in form."""
    try:
        with unit_of_work() as uow:
            user = sign_in.sign_in(uow.session, credentials.username or "",
                                   credentials.password or "", request.remote_addr or "")
            g.user = CurrentUser.of(user) if user else None
            uow.commit()  # a failure is recorded for the throttle
    except Throttled as refused:
        g.auth_method, g.throttled = "throttled", refused
        return
    g.auth_method = "basic" if g.user else "basic-refused"


def _load_bearer(secret: str) -> None:
    with unit_of_work() as uow:
        holder = tokens.authenticate_token(uow.session, secret)
        g.user = CurrentUser.of_token(holder) if holder else None
        uow.commit()  # last_used_at
    g.auth_method = "bearer" if g.user else "bearer-refused"


def _load_session_user() -> None:
    session_id = session.get(SESSION_ID_KEY)
    if not isinstance(session_id, str) or _expired():
        return
    with unit_of_work(read_only=True) as uow:
        found = sign_in.session_user(uow.session, session_id,
                                     current_app.permanent_session_lifetime)
        if found is None:
            session.clear()  # signed out elsewhere, deactivated or password changed
            return
        g.user = CurrentUser.of(found)
        g.auth_method = "session"


def _expired() -> bool:
    """Sessions end PERMANENT_SESSION_LIFETIME after sign-in, however busy the user is.

    (Flask's own expiry slides with every request; this is the hard limit.)
    """
    signed_in_at = session.get(SIGNED_IN_AT_KEY)
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    if isinstance(signed_in_at, int | float) and time.time() - signed_in_at < lifetime:
        return False
    session.clear()
    return True


def _start_session(session_id: str) -> None:
    """A new cookie at sign-in (no fixation): old keys and CSRF token are dropped."""
    session.clear()
    session.permanent = True
    session[SESSION_ID_KEY] = session_id
    session[SIGNED_IN_AT_KEY] = int(time.time())


def _check_password(username: str, password: str) -> str | None:
    """The new session's id when the password is right, else None; may raise Throttled."""
    with unit_of_work() as uow:
        found = sign_in.sign_in(uow.session, username, password, request.remote_addr or "")
        session_id = (sign_in.start_session(uow.session, found,
                                            current_app.permanent_session_lifetime)
                      if found else None)
        uow.commit()
        return session_id


@auth.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int] | tuple[str, int, dict[str, str]]:
    next_path = safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_user() is not None:
            return redirect(next_path or url_for("pages.index"))
        return render_template("login.html", username="", next_path=next_path)
    username = request.form.get("username", "")
    try:
        session_id = _check_password(username, request.form.get("password", ""))
    except Throttled as refused:
        return (render_template("login.html", username=username, next_path=next_path,
                                error=str(refused)), 429,
                {"Retry-After": str(refused.retry_after)})
    if session_id is None:
        return render_template("login.html", username=username, next_path=next_path,
                               error=BAD_CREDENTIALS), 401
    _start_session(session_id)
    return redirect(next_path or url_for("pages.index"))


@auth.post("/logout")
def logout() -> Response:
    session_id = session.get(SESSION_ID_KEY)
    if isinstance(session_id, str):
        with unit_of_work() as uow:
            sign_in.end_session(uow.session, session_id)
            uow.commit()
    session.clear()
    flash("You have signed out.")
    return redirect(url_for("auth.login"))
