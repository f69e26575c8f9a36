"""Domain errors to HTTP, in one place: JSON under /api, a plain page elsewhere."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from services.errors import (
    Conflict,
    DeployRejected,
    InvalidInput,
    KeyReused,
    NotFound,
    PermissionDenied,
    ServiceError,
)

log = logging.getLogger(__name__)
STATUS = {NotFound: 404, Conflict: 409, PermissionDenied: 403, InvalidInput: 400,
          DeployRejected: 400, KeyReused: 422}


def _respond(status: int, message: str, fields: dict[str, list[str]] | None = None
             ) -> tuple[Response | str, int]:
    if request.path.startswith("/api/"):
        body: dict[str, object] = {"message": message}
        if fields:
            body["fields"] = fields
        return jsonify({"error": body}), status
    return render_template("error.html", status=status, message=message, fields=fields), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def service_error(error: ServiceError) -> tuple[Response | str, int]:
        status = next((code for cls, code in STATUS.items() if isinstance(error, cls)), 400)
        fields = error.field_errors if isinstance(error, InvalidInput) else None
        return _respond(status, str(error), fields)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[Response | str, int]:
        return _respond(error.code or 500, error.description or error.name)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> tuple[Response | str, int]:
        log.exception("unhandled error")
        return _respond(500, "Something went wrong on our side; nothing was changed.")
