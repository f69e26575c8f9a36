"""The BPMN a case runs on, for the diagram viewer on the case page (web/static/diagram.js)."""

from __future__ import annotations

from flask import Blueprint, Response

from services import diagrams

from .inbox import acting
from .security_headers import as_download
from .uow import unit_of_work

diagram_pages = Blueprint("diagrams", __name__)


@diagram_pages.get("/cases/<int:case_id>/diagram.bpmn")
def case_bpmn(case_id: int) -> Response:
    """The case's own version of the process, so an old case is drawn as it actually runs."""
    with unit_of_work() as uow:
        xml_text = diagrams.case_bpmn_xml(uow.session, case_id, viewer=acting())
    # Fetched by diagram.js; opened directly it downloads and never runs (no inline XHTML).
    return as_download(Response(xml_text, mimetype="application/xml"), f"case-{case_id}.bpmn")
