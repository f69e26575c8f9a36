"""Fixtures shared by the integration tests."""

from __future__ import annotations

import pytest
from flask import Flask

from app import create_app
from handlers import ensure_products
from tests.support import flows


@pytest.fixture
def app(database_url: str, uow) -> Flask:  # type: ignore[no-untyped-def]
    """The web app on the test database, with the real processes deployed and products
    seeded. Test modules that need another set-up define their own `app`."""
    flows.deploy(uow)
    with uow() as work:
        ensure_products(work.session)
        work.commit()
    return create_app({"DATABASE_URL": database_url, "TESTING": True})
