"""An application process freezes its startup heap (services.heap); a test app does not."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from app import create_app


def test_an_app_freezes_its_startup_heap_and_a_test_app_does_not(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("INSURFLOW_SECRET_KEY", "test-only-" + "k" * 32)
    url = f"sqlite:///{tmp_path / 'heap.db'}"
    gc.unfreeze()
    try:
        create_app({"DATABASE_URL": url, "TESTING": True})
        assert gc.get_freeze_count() == 0
        app = create_app({"DATABASE_URL": url})
        assert gc.get_freeze_count() > 0
        assert gc.is_tracked(app) and not any(o is app for o in gc.get_objects())
    finally:
        gc.unfreeze()
