"""The auditor pages: case search, a case's audit page, its printable report, the files of
the process version it ran on, and the access log. Read-only: there is no form that writes,
and every view is itself recorded in the access log in the same transaction.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from urllib.parse import urlencode

from flask import Blueprint, Response, render_template, request
from sqlalchemy.orm import Session

from engine.clock import current_time
from services import access_log, audit_export, audit_verify, case_search
from services.case_audit import case_audit
from services.case_search import STATUSES, CaseSearch
from services.case_steps import case_step, replay_summary
from services.cases import get_case
from services.paging import page_number
from services.version_files import case_file, media_type

from .access import roles_required
from .current_user import current_user
from .security_headers import as_download
from .uow import unit_of_work

audit_pages = Blueprint("audit", __name__, url_prefix="/audit")
AUDIT_ROLES = ("auditor", "supervisor", "admin")


def viewed(session: Session, page: str, case_id: int | None = None, query: str = "") -> None:
    """Record this view for the signed-in person (roles_required ran first)."""
    user = current_user()
    assert user is not None
    access_log.record_view(session, user.username, page, case_id, query)


@audit_pages.get("")
@roles_required(*AUDIT_ROLES)
def search() -> str:
    wanted = CaseSearch.from_args(request.args)
    with unit_of_work() as uow:
        result = case_search.search_cases(uow.session, wanted)
        html = render_template("audit/search.html", result=result, statuses=STATUSES,
                               processes=case_search.process_choices(uow.session))
        viewed(uow.session, "case search", None, urlencode(wanted.to_args()))
        uow.commit()
    return html


def _case_page(template: str, page: str, case_id: int) -> str:
    with unit_of_work() as uow:
        audit = case_audit(uow.session, case_id)
        html = render_template(template, audit=audit, case=audit.case,
                               comparison=audit.comparison, generated_at=current_time(),
                               replay=replay_summary(uow.session, case_id),
                               chain=audit_verify.verify_case(uow.session, case_id),
                               step_links=True)
        viewed(uow.session, page, case_id, request.query_string.decode()[:500])
        uow.commit()
    return html


@audit_pages.get("/cases/<int:case_id>")
@roles_required(*AUDIT_ROLES)
def case(case_id: int) -> str:
    return _case_page("audit/case.html", "case audit", case_id)


@audit_pages.get("/cases/<int:case_id>/report")
@roles_required(*AUDIT_ROLES)
def report(case_id: int) -> str:
    return _case_page("audit/report.html", "report", case_id)


@audit_pages.get("/cases/<int:case_id>/steps/<int:seq>")
@roles_required(*AUDIT_ROLES)
def step(case_id: int, seq: int) -> str:
    """The case as replay rebuilds it after event `seq`, with the change from the one before."""
    with unit_of_work() as uow:
        shown = case_step(uow.session, case_id, seq)
        html = render_template("audit/step.html", step=shown, case=shown.case)
        viewed(uow.session, "step", case_id, urlencode({"seq": seq}))
        uow.commit()
    return html


@audit_pages.get("/cases/<int:case_id>/history.json")
@roles_required(*AUDIT_ROLES)
def history_json(case_id: int) -> Response:
    """The case's history with its hashes, to verify outside Insurflow (docs/audit.md)."""
    with unit_of_work() as uow:
        document = audit_export.export_case(uow.session, case_id)
        viewed(uow.session, "history export", case_id)
        uow.commit()
    response = Response(json.dumps(document, indent=2) + "\n", mimetype="application/json")
    key = document.get("business_key") or f"case-{case_id}"
    return as_download(response, f"{key}-history.json")


@audit_pages.get("/cases/<int:case_id>/files/<path:path>")
@roles_required(*AUDIT_ROLES)
def download(case_id: int, path: str) -> Response:
    """One file of the exact process version the case ran on, as an attachment."""
    with unit_of_work() as uow:
        version, content = case_file(uow.session, get_case(uow.session, case_id), path)
        viewed(uow.session, "file", case_id, urlencode({"file": path, "version": version.version}))
        uow.commit()
    file = PurePosixPath(path)
    response = Response(content, mimetype=media_type(path))
    return as_download(response, f"{file.stem}-v{version.version}{file.suffix}")


@audit_pages.get("/access-log")
@roles_required("auditor", "admin")
def access_log_page() -> str:
    number = page_number(request.args.get("page")) or 1
    username = request.args.get("user", "").strip()[:100]
    with unit_of_work() as uow:
        listing = access_log.list_views(uow.session, number, username)
        html = render_template("audit/access_log.html", listing=listing, username=username)
        viewed(uow.session, "access log", None, urlencode({"user": username, "page": number}))
        uow.commit()
    return html
