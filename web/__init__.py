"""HTTP edge: blueprints, error mapping, the unit of work per request."""

from __future__ import annotations

from flask import Flask

from .api import api
from .diagrams import diagram_pages
from .errors import register_error_handlers
from .inbox import inbox_pages
from .pages import pages
from .start_pages import start_pages
from .task_pages import task_pages
from .vendor import vendor_assets


def register_web(app: Flask) -> None:
    app.register_blueprint(api)
    app.register_blueprint(pages)
    app.register_blueprint(diagram_pages)
    app.register_blueprint(vendor_assets)
    for blueprint in (inbox_pages, task_pages, start_pages):
        app.register_blueprint(blueprint)
    register_error_handlers(app)
