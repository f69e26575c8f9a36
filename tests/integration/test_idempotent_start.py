"""Starting a case with an idempotency key: a retry gets the first case, never a second one.

API (`Idempotency-Key` header) and start pages (hidden `start_key` field), on SQLite and
PostgreSQL; two retries at once on PostgreSQL."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, inspect, select

from models import Case, CaseStartKey
from services import case_starts
from services.errors import KeyReused
from tests.support import databases, flows
from tests.support.applicants import applicant
from tests.support.auth import api_client, csrf_token, signed_in_client

BODY = {"process_id": "service_flow", "data": {"amount": 1250, "on": "2026-05-01"}}


def _case_count(uow) -> int:  # type: ignore[no-untyped-def]
    with uow() as work:
        return int(work.session.scalar(select(func.count()).select_from(Case)) or 0)


@pytest.fixture
def client(app: Flask, uow) -> FlaskClient:  # type: ignore[no-untyped-def]
    flows.deploy(uow, flows.FIXTURES)
    return api_client(app, "clerk1")


def test_api_retry_returns_the_first_case(client: FlaskClient, uow) -> None:  # type: ignore[no-untyped-def]
    first = client.post("/api/v1/cases", json=BODY, headers={"Idempotency-Key": "k-1"})
    again = client.post("/api/v1/cases", json=BODY, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201, first.get_json()
    assert "Idempotent-Replayed" not in first.headers
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    assert _case_count(uow) == 1
    other = client.post("/api/v1/cases", json=BODY, headers={"Idempotency-Key": "k-2"})
    assert other.status_code == 201 and other.get_json()["id"] != first.get_json()["id"]
    assert client.post("/api/v1/cases", json=BODY).status_code == 201  # no key: a new case
    assert _case_count(uow) == 3


def test_same_key_with_another_body_is_refused(client: FlaskClient, uow) -> None:  # type: ignore[no-untyped-def]
    first = client.post("/api/v1/cases", json=BODY, headers={"Idempotency-Key": "k-1"})
    changed = {**BODY, "data": {"amount": 99, "on": "2026-05-01"}}
    refused = client.post("/api/v1/cases", json=changed, headers={"Idempotency-Key": "k-1"})
    assert refused.status_code == 422
    message = refused.get_json()["error"]["message"]
    assert f"already started case {first.get_json()['id']} with other values" in message
    assert _case_count(uow) == 1


def test_keys_belong_to_their_user(client: FlaskClient, uow) -> None:  # type: ignore[no-untyped-def]
    first = client.post("/api/v1/cases", json=BODY, headers={"Idempotency-Key": "shared"})
    with uow() as work:
        second = case_starts.start_case_once(work.session, "service_flow", BODY["data"],
                                             "ch1", None, "shared")
        work.commit()
        assert not second.replayed and second.case.id != first.get_json()["id"]
    with uow() as work:
        owners = work.session.scalars(select(CaseStartKey.username).order_by("username"))
        assert list(owners) == ["ch1", "clerk1"]


@pytest.mark.parametrize("key", ["", "has space", "x" * 201, "caf\u00e9"])
def test_bad_keys_are_refused(client: FlaskClient, uow, key: str) -> None:  # type: ignore[no-untyped-def]
    refused = client.post("/api/v1/cases", json=BODY,
                          headers={"Idempotency-Key": key.encode().decode("latin-1")})
    assert refused.status_code == 400
    assert "Idempotency-Key" in refused.get_json()["error"]["fields"]
    assert _case_count(uow) == 0


def test_a_failed_start_leaves_the_key_free(client: FlaskClient, uow) -> None:  # type: ignore[no-untyped-def]
    bad = {**BODY, "data": {"amount": "lots", "on": "2026-05-01"}}
    assert client.post("/api/v1/cases", json=bad,
                       headers={"Idempotency-Key": "k-1"}).status_code == 400
    fixed = client.post("/api/v1/cases", json=BODY, headers={"Idempotency-Key": "k-1"})
    assert fixed.status_code == 201 and _case_count(uow) == 1


def _start_form(client: FlaskClient, path: str) -> dict[str, str]:
    html = client.get(path).get_data(as_text=True)
    found = re.search(r'name="start_key" value="([^"]+)"', html)
    assert found, "the start page carries a start key"
    return {"csrf_token": csrf_token(client, "/inbox"), "start_key": found.group(1)}


def _form_values(data: dict[str, Any]) -> dict[str, str]:
    return {k: ("true" if v is True else "" if v is False else v) for k, v in data.items()}


def test_start_page_double_submit_makes_one_case(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    client = signed_in_client(app, "clerk1")
    hidden = _start_form(client, "/new/application")
    values = {**hidden, **_form_values(applicant(id_number="B7"))}
    first = client.post("/new/application", data=values)
    second = client.post("/new/application", data=values)
    assert first.status_code == second.status_code == 302
    assert second.location == first.location
    assert _case_count(uow) == 1
    page = client.get(second.location).get_data(as_text=True)
    assert "was already started as" in page and "no second case was made" in page
    other = _start_form(client, "/new/application")
    assert other["start_key"] != hidden["start_key"]  # every rendered form gets its own key
    assert client.post("/new/application", data={**values, **other}).status_code == 302
    assert _case_count(uow) == 2


def test_start_page_resent_with_changes_is_refused(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    client = signed_in_client(app, "clerk1")
    hidden = _start_form(client, "/new/application")
    values = {**hidden, **_form_values(applicant(id_number="B7"))}
    assert client.post("/new/application", data=values).status_code == 302
    changed = client.post("/new/application", data={**values, "full_name": "Mei Chen"})
    html = changed.get_data(as_text=True)
    assert changed.status_code == 422 and "with other values" in html
    assert f'value="{hidden["start_key"]}"' not in html  # a fresh key for a new attempt
    assert _case_count(uow) == 1


def test_start_page_invalid_form_keeps_its_key(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    client = signed_in_client(app, "clerk1")
    hidden = _start_form(client, "/new/application")
    values = {**hidden, **_form_values(applicant(id_number="B7"))}
    refused = client.post("/new/application", data={**values, "date_of_birth": "soon"})
    assert refused.status_code == 400
    assert f'value="{hidden["start_key"]}"' in refused.get_data(as_text=True)
    assert client.post("/new/application", data=values).status_code == 302
    assert _case_count(uow) == 1


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("same_body", [True, False])
def test_concurrent_starts_with_one_key_make_one_case(uow, same_body: bool) -> None:  # type: ignore[no-untyped-def]
    """Four sessions start with the same key at once: the unique key decides, one case."""
    flows.deploy(uow, flows.FIXTURES)
    barrier = threading.Barrier(4)
    outcomes: list[tuple[str, int | None]] = []

    def attempt(index: int) -> None:
        data = {"amount": 1250 if same_body or index == 0 else 1250 + index, "on": "2026-05-01"}
        with uow() as work:
            barrier.wait()
            try:
                started = case_starts.start_case_once(work.session, "service_flow", data,
                                                      "clerk1", None, "race-key")
                work.commit()
                outcomes.append(("replayed" if started.replayed else "created", started.case.id))
            except KeyReused:
                outcomes.append(("refused", None))

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 4 and _case_count(uow) == 1
    assert [kind for kind, _ in outcomes].count("created") == 1
    created = next(case_id for kind, case_id in outcomes if kind == "created")
    assert all(case_id == created for kind, case_id in outcomes if kind == "replayed")
    if same_body:
        assert sorted(kind for kind, _ in outcomes) == ["created"] + ["replayed"] * 3


def test_migration_0011_goes_down_and_up(db_engine: Engine, tmp_path: Path) -> None:
    engine = databases.second_database(db_engine, tmp_path, "start_keys", "0011")
    try:
        assert "case_start_key" in inspect(engine).get_table_names()
        databases.downgrade(engine, "0011-1")
        assert "case_start_key" not in inspect(engine).get_table_names()
        databases.upgrade(engine, "0011")
        assert "case_start_key" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
