"""HTTP edge: blueprints, error mapping, the unit of work per request."""

from __future__ import annotations

from flask import Flask

from .api import api
from .errors import register_error_handlers
from .pages import pages


def register_web(app: Flask) -> None:
    app.register_blueprint(api)
    app.register_blueprint(pages)
    register_error_handlers(app)
