"""`insurflow`: Flask's CLI (run, shell, routes) plus Insurflow's own commands."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup


def _create_app():  # type: ignore[no-untyped-def]
    from app import create_app
    from services.errors import BadSetting

    try:
        return create_app()
    except BadSetting as error:  # say which setting is wrong, without a stack trace
        raise click.ClickException(str(error)) from error


def main() -> None:
    FlaskGroup(create_app=_create_app, help="Insurflow: BPMN process orchestrator for "
               "insurance operations. Database: INSURFLOW_DATABASE_URL "
               "(default sqlite:///insurflow.db).")()
