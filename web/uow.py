"""The request's unit of work, built from the app's session factory."""

from __future__ import annotations

from flask import current_app

from services.unit_of_work import UnitOfWork


def unit_of_work(read_only: bool = False) -> UnitOfWork:
    """`read_only` for a page that only reads: on SQLite it never waits for a writer."""
    return UnitOfWork(current_app.extensions["insurflow.sessions"], read_only)
