"""HTTP edge: blueprints, sign-in and CSRF checks, error mapping, the unit of work per request."""

from __future__ import annotations

from typing import Any

from flask import Flask

from services.roles import ALL_ROLES

from .access import login_required, refuse_read_only_writes
from .account_pages import account_pages
from .admin_jobs import admin_jobs
from .api import api
from .audit_pages import audit_pages
from .auth import auth, load_current_user
from .csrf import init_csrf
from .current_user import current_user
from .diagrams import diagram_pages
from .errors import register_error_handlers
from .inbox import inbox_pages
from .incidents import incident_pages
from .pages import pages
from .request_guard import init_request_guard
from .security_headers import init_security_headers
from .start_pages import start_pages
from .task_pages import task_pages
from .vendor import vendor_assets


def register_web(app: Flask) -> None:
    # Order matters: know who is asking, send strangers to sign in, check the form token,
    # then the auditor rule. Text no database can store is refused before any of them.
    init_request_guard(app)
    app.before_request(load_current_user)
    app.before_request(login_required)
    init_csrf(app)
    app.before_request(refuse_read_only_writes)
    app.register_blueprint(auth)
    app.register_blueprint(api)
    app.register_blueprint(pages)
    app.register_blueprint(diagram_pages)
    app.register_blueprint(vendor_assets)
    for blueprint in (inbox_pages, task_pages, start_pages, incident_pages, admin_jobs,
                      audit_pages, account_pages):
        app.register_blueprint(blueprint)
    app.context_processor(_template_globals)
    register_error_handlers(app)
    init_security_headers(app)


def _template_globals() -> dict[str, Any]:
    return {"current_user": current_user(), "role_labels": ALL_ROLES}
