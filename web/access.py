"""Who may see what: sign-in for every page, roles for some, and auditors read-only.

Deny by default: every page of every blueprint needs a signed-in user, except the sign-in
pages themselves and static files, so a new blueprint cannot be left open by mistake. The
JSON API answers 401 itself (web/api.py). Views that need a role add
`@roles_required("supervisor", ...)` (any one of them will do).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import redirect, request, url_for
from werkzeug.wrappers import Response

from services.errors import PermissionDenied

from .csrf import UNSAFE_METHODS
from .current_user import current_user

P = ParamSpec("P")
R = TypeVar("R")

ROLE_MISSING = "You do not have the role needed for this page."
READ_ONLY = "Auditors can look at everything but change nothing."
# Writes an auditor may still make: signing out, changing their own password.
READ_ONLY_ALLOWED_ENDPOINTS = frozenset({"auth.logout", "account.change_password"})
PUBLIC_ENDPOINTS = frozenset({"auth.login", "auth.logout", "static"})


def _sign_in_redirect() -> Response:
    target = request.full_path if request.query_string else request.path
    return redirect(url_for("auth.login", next=target))


def login_required() -> Response | None:
    """before_request: strangers asking for any page go to /login, then come back."""
    if (current_user() is not None or request.endpoint in PUBLIC_ENDPOINTS
            or request.path.startswith("/api/")):
        return None
    return _sign_in_redirect()


def roles_required(*roles: str) -> Callable[[Callable[P, R]], Callable[P, R | Response]]:
    """The view needs a signed-in user holding any one of `roles` (else a 403 page)."""

    def decorate(view: Callable[P, R]) -> Callable[P, R | Response]:
        @wraps(view)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R | Response:
            user = current_user()
            if user is None:
                return _sign_in_redirect()
            if not user.has_role(*roles):
                raise PermissionDenied(ROLE_MISSING)
            return view(*args, **kwargs)

        return guarded

    return decorate


def refuse_read_only_writes() -> None:
    """before_request: a user whose only role is auditor cannot change anything."""
    user = current_user()
    if (user is not None and user.is_read_only and request.method in UNSAFE_METHODS
            and request.endpoint not in READ_ONLY_ALLOWED_ENDPOINTS):
        raise PermissionDenied(READ_ONLY)
