"""`insurflow`: Flask's CLI (run, shell, routes) plus Insurflow's own commands."""

from __future__ import annotations

from flask.cli import FlaskGroup


def _create_app():  # type: ignore[no-untyped-def]
    from app import create_app

    return create_app()


def main() -> None:
    FlaskGroup(create_app=_create_app, help="Insurflow: BPMN process orchestrator for "
               "insurance operations. Database: INSURFLOW_DATABASE_URL "
               "(default sqlite:///insurflow.db).")()
