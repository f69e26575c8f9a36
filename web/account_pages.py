"""/account/password (every staff user, their own password) and /admin/users (admins:
reset passwords, switch accounts off and on)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from services import users
from services.errors import InvalidInput

from .access import roles_required
from .auth import SESSION_ID_KEY
from .current_user import current_user
from .uow import unit_of_work

account_pages = Blueprint("account", __name__)


@account_pages.route("/account/password", methods=["GET", "POST"])
def change_password() -> Response | str | tuple[str, int]:
    user = current_user()
    assert user is not None  # login_required ran first
    if request.method == "GET":
        return render_template("account_password.html", fields={})
    session_id = session.get(SESSION_ID_KEY)
    try:
        with unit_of_work() as uow:
            users.change_password(uow.session, user.id, request.form.get("current_password", ""),
                                  request.form.get("new_password", ""),
                                  request.form.get("new_password_again", ""),
                                  session_id if isinstance(session_id, str) else None)
            uow.commit()
    except InvalidInput as refused:
        return render_template("account_password.html", message=str(refused),
                               fields=refused.field_errors), 400
    flash("Your password is changed. Your other sessions have ended.")
    return redirect(url_for("pages.index"))


@account_pages.get("/admin/users")
@roles_required("admin")
def users_page() -> str:
    with unit_of_work() as uow:
        return render_template("admin_users.html", users=users.list_users(uow.session))


@account_pages.post("/admin/users/<username>/password")
@roles_required("admin")
def reset_password(username: str) -> Response | tuple[str, int]:
    try:
        with unit_of_work() as uow:
            user = users.reset_password(uow.session, username, request.form.get("password", ""))
            uow.commit()
            name = user.username
    except InvalidInput as refused:
        with unit_of_work() as uow:
            return render_template("admin_users.html", users=users.list_users(uow.session),
                                   refused=username, fields=refused.field_errors), 400
    flash(f"New password set for {name}; their sessions have ended. Tell them the password "
          "in person or by phone.")
    return redirect(url_for("account.users_page"))


@account_pages.post("/admin/users/<username>/active")
@roles_required("admin")
def set_active(username: str) -> Response:
    active = request.form.get("active") == "yes"
    with unit_of_work() as uow:
        user = users.set_active(uow.session, username, active)
        uow.commit()
        name = user.username
    flash(f"{name} can sign in again." if active else f"{name} is switched off; their "
          "sessions have ended.")
    return redirect(url_for("account.users_page"))
