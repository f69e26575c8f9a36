"""The request's unit of work, built from the app's session factory."""

from __future__ import annotations

from flask import current_app

from services.unit_of_work import UnitOfWork


def unit_of_work() -> UnitOfWork:
    return UnitOfWork(current_app.extensions["insurflow.sessions"])
