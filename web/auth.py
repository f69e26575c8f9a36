"""Sign-in and sign-out, and loading who is signed in at the start of every request.

The session cookie holds only the user's id and a session version derived from the password
hash; the user is read afresh on every request, so a deactivated user is signed out on their
next click and changed roles apply at once.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

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
from werkzeug.wrappers import Response

from services import users

from .current_user import CurrentUser, current_user
from .uow import unit_of_work

auth = Blueprint("auth", __name__)

USER_ID_KEY = "user_id"
VERSION_KEY = "session_version"
SIGNED_IN_AT_KEY = "signed_in_at"
BAD_CREDENTIALS = "The username or password is not right, or the account is switched off."


def load_current_user() -> None:
    """before_request: set g.user from HTTP Basic (API only) or the browser session."""
    g.user = None
    g.auth_method = None
    if request.endpoint == "static":  # no database round trip per stylesheet or image
        return
    credentials = request.authorization
    if request.path.startswith("/api/") and credentials and credentials.type == "basic":
        with unit_of_work() as uow:
            user = users.authenticate(uow.session, credentials.username or "",
                                      credentials.password or "")
            g.user = CurrentUser.of(user) if user else None
        g.auth_method = "basic" if user else "basic-refused"
        return
    user_id, version = session.get(USER_ID_KEY), session.get(VERSION_KEY)
    if not isinstance(user_id, int) or not isinstance(version, str) or _expired():
        return
    with unit_of_work(read_only=True) as uow:
        found = users.find_signed_in_user(uow.session, user_id, version)
        if found is None:
            session.clear()  # deactivated, deleted or password changed: sign out
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


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site; anything else (`//evil`, `https://…`) is dropped."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(char) < 32 for char in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def _start_session(user: CurrentUser, version: str) -> None:
    """A new session at sign-in (no fixation): old keys and CSRF token are dropped."""
    session.clear()
    session.permanent = True
    session[USER_ID_KEY] = user.id
    session[VERSION_KEY] = version
    session[SIGNED_IN_AT_KEY] = int(time.time())


@auth.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    next_path = safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_user() is not None:
            return redirect(next_path or url_for("pages.index"))
        return render_template("login.html", username="", next_path=next_path)
    username = request.form.get("username", "")
    with unit_of_work() as uow:
        found = users.authenticate(uow.session, username, request.form.get("password", ""))
        signed_in = (CurrentUser.of(found), users.session_version(found)) if found else None
    if signed_in is None:
        return render_template("login.html", username=username, next_path=next_path,
                               error=BAD_CREDENTIALS), 401
    _start_session(*signed_in)
    return redirect(next_path or url_for("pages.index"))


@auth.post("/logout")
def logout() -> Response:
    session.clear()
    flash("You have signed out.")
    return redirect(url_for("auth.login"))
