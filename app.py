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
from services.errors import BadSetting

SESSION_LIFETIME = timedelta(hours=8)
SECRET_SETTING = "INSURFLOW_SECRET_KEY"
MIN_SECRET_KEY_LENGTH = 32
BODY_SETTING = "INSURFLOW_MAX_BODY_BYTES"
DEFAULT_MAX_BODY_BYTES = 1024 * 1024  # forms and API calls are a few kB; no uploads


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
    if app.config.get("SECRET_KEY") is None:
        app.config["SECRET_KEY"] = _secret_key(app)
    else:
        _require_long_key(str(app.config["SECRET_KEY"]), "SECRET_KEY")
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = _max_body_bytes()
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
    configured = os.environ.get(SECRET_SETTING)
    if configured is not None:  # set, even to "": an empty key is a mistake, not "generate one"
        return _require_long_key(configured.strip(), SECRET_SETTING)
    if app.testing:
        return secrets.token_urlsafe(32)
    path = Path(app.instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:  # created readable by the owner only; O_EXCL so two starts never both write
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _require_long_key(path.read_text().strip(), f"the key file {path}")
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def _require_long_key(key: str, source: str) -> str:
    """A short key can be guessed, and with it every session cookie forged: refuse to start."""
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise BadSetting(
            f"{source} is {'empty' if not key else f'only {len(key)} characters long'}: "
            f"a secret key needs at least {MIN_SECRET_KEY_LENGTH} random characters "
            "(e.g. from `python -c 'import secrets; print(secrets.token_urlsafe(48))'`), "
            f"or leave {SECRET_SETTING} unset to have one made in instance/secret_key")
    return key


def _max_body_bytes() -> int:
    """INSURFLOW_MAX_BODY_BYTES: larger requests get 413 before they are read."""
    raw = os.environ.get(BODY_SETTING, "").strip()
    if not raw:
        return DEFAULT_MAX_BODY_BYTES
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise BadSetting(f"{BODY_SETTING} must be a whole number of bytes from 1, not {raw!r}")
    return int(raw)
