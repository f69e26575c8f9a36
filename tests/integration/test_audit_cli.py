"""`insurflow audit verify|export` as an auditor runs them, and the standalone export verifier."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import Engine

from app import create_app
from tests.support import audit as forge
from tests.support.audit import set_fields

ROOT = Path(__file__).resolve().parent.parent.parent
VERIFIER = ROOT / "tools" / "verify_audit_export.py"


@pytest.fixture
def app(database_url: str) -> Flask:
    return create_app({"DATABASE_URL": database_url, "TESTING": True})


@pytest.fixture
def two_cases(uow) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    forge.deploy_real_processes(uow)
    return forge.accepted_case(uow), forge.accepted_case(uow, "Chen Wei")


def _run(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=list(args))


def _standalone(*args: str) -> subprocess.CompletedProcess[str]:
    # -I: isolated, so nothing of Insurflow (or the venv's site-packages) can be imported
    return subprocess.run([sys.executable, "-I", str(VERIFIER), *args], capture_output=True,
                          text=True, check=False)


def test_commands_have_help(app: Flask) -> None:
    for command in (["audit"], ["audit", "verify"], ["audit", "export"]):
        result = _run(app, *command, "--help")
        assert result.exit_code == 0 and "Usage:" in result.output
    assert "--all" in _run(app, "audit", "verify", "--help").output


def test_verify_one_case_and_all(app: Flask, two_cases: tuple[int, int]) -> None:
    first, second = two_cases
    one = _run(app, "audit", "verify", str(first))
    assert one.exit_code == 0 and one.output.startswith(f"case {first} (APP-000001): ")
    assert one.output.strip().endswith("events, intact")
    every = _run(app, "audit", "verify", "--all")
    assert every.exit_code == 0, every.output
    assert "checked 2 cases and " in every.output and "cases/s" in every.output
    assert every.output.strip().endswith("every history is intact")


def test_verify_reports_tampering_with_exit_status_1(app: Flask, db_engine: Engine,
                                                     two_cases: tuple[int, int]) -> None:
    first, second = two_cases
    forge.tamper(db_engine, lambda conn: set_fields(conn, second, 7, payload={"x": 1}))
    one = _run(app, "audit", "verify", str(second))
    assert one.exit_code == 1
    assert one.output.strip() == (f"case {second} (APP-000002): event 7 was altered: its "
                                  "content no longer matches its hash")
    every = _run(app, "audit", "verify", "--all")
    assert every.exit_code == 1
    lines = every.output.strip().splitlines()
    assert lines[0] == one.output.strip()
    assert lines[-1] == "1 of 2 cases have problems"
    assert _run(app, "audit", "verify", str(first)).exit_code == 0


def test_verify_usage_errors_are_messages(app: Flask, two_cases: tuple[int, int]) -> None:
    missing = _run(app, "audit", "verify", "4242")
    assert missing.exit_code == 1 and "there is no case 4242" in missing.output
    for args in ([], ["1", "--all"]):
        both = _run(app, "audit", "verify", *args)
        assert both.exit_code == 2 and "give either a CASE_ID or --all" in both.output
    assert "Traceback" not in missing.output + both.output


def test_export_verifies_outside_and_tampering_is_named(app: Flask, tmp_path: Path,
                                                        two_cases: tuple[int, int]) -> None:
    first, _ = two_cases
    path = tmp_path / "case.json"
    written = _run(app, "audit", "export", str(first), "--output", str(path))
    assert written.exit_code == 0 and f"to {path}" in written.output
    export = json.loads(path.read_text())
    assert export["case"]["business_key"] == "APP-000001"
    assert export["process_version"]["process_id"] == "new_business"
    assert len(export["process_version"]["content_hash"]) == 64
    assert export["events"][0]["prev_hash"] == "0" * 64
    assert export == json.loads(_run(app, "audit", "export", str(first)).output) | {
        "exported_at": export["exported_at"]}
    intact = _standalone(str(path))
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert intact.stdout.startswith("intact: case 1 (APP-000001): ")

    export["events"][5]["payload"]["forged"] = True
    path.write_text(json.dumps(export))
    altered = _standalone(str(path))
    assert altered.returncode == 1
    assert "event 6 was altered" in altered.stdout

    del export["events"][3]
    path.write_text(json.dumps(export))
    assert "event 4 is missing" in _standalone(str(path)).stdout


def test_export_errors_and_the_verifiers_help(app: Flask, tmp_path: Path,
                                              two_cases: tuple[int, int]) -> None:
    missing = _run(app, "audit", "export", "4242")
    assert missing.exit_code == 1 and "there is no case 4242" in missing.output
    nowhere = _run(app, "audit", "export", "1", "-o", str(tmp_path / "no" / "x.json"))
    assert nowhere.exit_code == 1 and "cannot write" in nowhere.output
    assert "Traceback" not in missing.output + nowhere.output
    helped = _standalone("--help")
    assert helped.returncode == 0 and "standard library only" in helped.stdout
    (tmp_path / "junk.json").write_text("{not json")
    junk = _standalone(str(tmp_path / "junk.json"))
    assert junk.returncode == 2 and "cannot read" in junk.stderr
