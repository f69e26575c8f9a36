"""The application factory: config, database, blueprints, error handlers and CLI."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask

from models.db import database_url, make_engine, make_session_factory
from services import heap, runtime_cache

SESSION_LIFETIME = timedelta(hours=8)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, template_folder="web/templates", static_folder="web/static")
    app.config.from_mapping(
        DATABASE_URL=database_url(),
        JSON_SORT_KEYS=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=_env_flag("INSURFLOW_SECURE_COOKIES"),
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
    )
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app)
    runtime_cache.CACHE.resize(runtime_cache.capacity_setting())
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["insurflow.engine"] = engine
    app.extensions["insurflow.sessions"] = make_session_factory(engine)

    from cli.commands import register_commands
    from web import register_web

    register_web(app)
    register_commands(app)
    if not app.testing:  # a test run makes many apps: their objects must stay collectable
        heap.freeze_startup_heap()
    return app


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _secret_key(app: Flask) -> str:
    """INSURFLOW_SECRET_KEY, else a random key kept in instance/secret_key.

    There is no built-in default key to forget to change: without the variable a key is made
    once and kept, so `make run` works and a restart keeps people signed in. Tests get a
    throw-away key and write nothing.
    """
    configured = os.environ.get("INSURFLOW_SECRET_KEY", "").strip()
    if configured:
        return configured
    if app.testing:
        return secrets.token_urlsafe(32)
    path = Path(app.instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:  # created readable by the owner only; O_EXCL so two starts never both write
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key
