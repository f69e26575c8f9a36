"""The application factory: config, database, blueprints, error handlers and CLI."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from models.db import database_url, make_engine, make_session_factory


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, template_folder="web/templates", static_folder="web/static")
    app.config.from_mapping(
        DATABASE_URL=database_url(),
        SECRET_KEY=os.environ.get("INSURFLOW_SECRET_KEY", "dev-only-change-me"),
        JSON_SORT_KEYS=False,
    )
    if test_config:
        app.config.update(test_config)
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["insurflow.engine"] = engine
    app.extensions["insurflow.sessions"] = make_session_factory(engine)

    from cli.commands import register_commands
    from web import register_web

    register_web(app)
    register_commands(app)
    return app
