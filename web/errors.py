"""Domain errors to HTTP, in one place: JSON under /api, a plain page elsewhere."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, make_response, render_template, request
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from services.db_errors import Trouble, passing_trouble
from services.errors import (
    Conflict,
    DeployRejected,
    InvalidInput,
    KeyReused,
    NotFound,
    PermissionDenied,
    ServiceError,
)
from services.unit_of_work import CHANGED_MEANWHILE

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 5
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

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error: RequestEntityTooLarge) -> tuple[Response | str, int]:
        limit = app.config.get("MAX_CONTENT_LENGTH")
        size = f" ({limit:,} bytes)" if limit else ""
        return _respond(413, f"The request is larger than this server accepts{size}; "
                             "nothing was changed.")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[Response | str, int]:
        return _respond(error.code or 500, error.description or error.name)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> tuple[Response | str, int]:
        log.exception("unhandled error")
        return _respond(500, "Something went wrong on our side; nothing was changed.")

    @app.errorhandler(DBAPIError)
    def database_error(error: DBAPIError) -> tuple[Response | str, int] | Response:
        """A lost connection or a database that is down or busy: 503, try again shortly; a
        transaction the server rolled back (deadlock, serialization): 409, like any race."""
        trouble = passing_trouble(error)
        if trouble is Trouble.CONFLICT:
            return _respond(409, CHANGED_MEANWHILE)
        if trouble is None:
            return unexpected(error)
        log.warning("database unavailable: %s", error.orig)
        response = make_response(_respond(503, "The database cannot be reached just now; "
                                               "try again in a moment."))
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
