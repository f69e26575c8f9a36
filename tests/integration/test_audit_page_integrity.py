"""The case audit page says whether the history is intact, and hands out the history as
JSON with its hashes, which the standalone verifier accepts (and refuses once altered)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from flask import Flask
from sqlalchemy import Engine, select

from models import AuditAccess
from tests.support.audit import set_fields, tamper
from tests.support.audit_cases import referred_case
from tests.support.auth import signed_in_client

VERIFIER = Path(__file__).resolve().parents[2] / "tools" / "verify_audit_export.py"



def _verify_outside(document: bytes, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "history.json"
    path.write_bytes(document)
    return subprocess.run([sys.executable, str(VERIFIER), str(path)], capture_output=True,
                          text=True, check=False)


def test_an_intact_history_says_so_and_its_json_verifies_outside(
        app: Flask, uow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    case_id = referred_case(uow)
    client = signed_in_client(app, "aud1")
    page = client.get(f"/audit/cases/{case_id}").get_data(as_text=True)
    assert "History intact." in page and "History altered" not in page
    assert "History intact." in client.get(f"/audit/cases/{case_id}/report").get_data(
        as_text=True)
    download = client.get(f"/audit/cases/{case_id}/history.json")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].endswith('-history.json"')
    document = json.loads(download.data)
    assert [e["seq"] for e in document["events"]] == list(range(1, len(document["events"]) + 1))
    checked = _verify_outside(download.data, tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    with uow() as work:
        pages = work.session.scalars(select(AuditAccess.page).where(
            AuditAccess.case_id == case_id)).all()
    assert "history export" in pages


def test_an_altered_history_is_named_on_the_page_and_fails_outside(
        app: Flask, uow, db_engine: Engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    case_id = referred_case(uow)
    tamper(db_engine, lambda conn: set_fields(conn, case_id, 3, actor="mallory"))
    client = signed_in_client(app, "aud1")
    page = client.get(f"/audit/cases/{case_id}").get_data(as_text=True)
    assert "History altered." in page
    assert "Event 3 was altered" in page
    checked = _verify_outside(client.get(f"/audit/cases/{case_id}/history.json").data, tmp_path)
    assert checked.returncode == 1
    assert "3" in checked.stdout + checked.stderr
