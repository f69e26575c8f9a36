"""Fuzz every registered URL rule with hostile input, as an admin and as a clerk, on both
databases: huge and non-ASCII numbers, NUL bytes, lone surrogates, CR/LF, year 10000, JSON
nested thousands deep. Nothing may answer 500, and input refused with a 4xx changes nothing.

The walk reads app.url_map, so a route added later is fuzzed without touching this file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.routing import Rule

from models import AuditEvent, Case, HumanTask, InboundMessage, SavedFilter, TaskDraft
from tests.support import flows
from tests.support.applicants import PREMIUM, applicant
from tests.support.auth import api_client, csrf_token, signed_in_client

HOSTILE = {
    "int4 overflow": "2147483648",
    "int8 overflow": "9223372036854775808",
    "huge int": "99999999999999999999",
    "5000 digits": "9" * 5000,
    "arabic digit": "\u0663",
    "superscript digit": "\u00b2",
    "negative": "-1",
    "NUL": "a\x00b",
    "lone surrogate": "a\ud800b",
    "CR/LF": "/inbox\r\nSet-Cookie: x=1",
    "year 10000": "10000-01-01",
    "last day": "9999-12-31",
    "bad date": "2026-02-30",
    "scheme-relative": "//evil.example/x",
}
# Numbers, dates and choices: where a parser or a database column meets the value.
TYPED_START_FIELDS = ("date_of_birth", "sum_insured", "product_code", "consent",
                      "health_conditions")
TYPED_HOSTILE = ("int8 overflow", "5000 digits", "arabic digit", "NUL", "lone surrogate",
                 "year 10000", "last day", "bad date")
# Query and form names the pages read; the fields of each page's own form are added to these.
KNOWN_NAMES = ("page", "tab", "sort", "due", "process", "task", "assignee", "search", "status",
               "business_key", "created_from", "created_to", "user", "role", "next", "name",
               "reason", "action", "username", "password", "v", "file", "key")
NAME_ATTR = re.compile(r'name="([^"]+)"')
DEEP = "[" * 20000 + "]" * 20000
COUNTED = (Case, AuditEvent, HumanTask, InboundMessage, SavedFilter, TaskDraft)


def _encode(value: str) -> str:
    """Percent-encode as a client would; a lone surrogate goes out as its raw UTF-8 bytes."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def _urlencoded(fields: dict[str, str]) -> bytes:
    return "&".join(f"{_encode(k)}={_encode(v)}" for k, v in fields.items()).encode()


@dataclass
class Target:
    """A URL rule with real ids, to fill its path in when another part is the hostile one."""

    rule: Rule
    method: str

    def path(self, real: dict[str, str], hostile: str | None) -> str:
        path = self.rule.rule
        for name in self.rule.arguments:
            value = hostile if hostile is not None else real.get(name, "1")
            path = re.sub(rf"<(?:[^:>]+:)?{name}>", _encode(value), path)
        return path


def _targets(app: Flask) -> Iterator[Target]:
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield Target(rule, method)


def _row_counts(app: Flask) -> dict[str, int]:
    with app.extensions["insurflow.sessions"]() as session:
        counts = {m.__tablename__: session.scalar(select(func.count()).select_from(m)) or 0
                  for m in COUNTED}
        claimed = select(func.count()).select_from(HumanTask).where(HumanTask.assignee.is_not(None))
        counts["claimed tasks"] = session.scalar(claimed) or 0
        return counts


class Fuzzer:
    def __init__(self, app: Flask, client: FlaskClient, real: dict[str, str]) -> None:
        self.app, self.client, self.real = app, client, real
        self.token = csrf_token(client, "/inbox")
        self.failures: list[str] = []
        self.field_names = set(KNOWN_NAMES)

    def learn_fields(self, path: str) -> None:
        page = self.client.get(path)
        if page.status_code == 200 and page.mimetype == "text/html":
            self.field_names.update(NAME_ATTR.findall(page.get_data(as_text=True)))

    def send(self, target: Target, path: str, label: str, body: bytes | None,
             content_type: str | None) -> None:
        before = _row_counts(self.app)
        headers = {"X-CSRF-Token": self.token}
        response = self.client.open(path, method=target.method, data=body,
                                    content_type=content_type, headers=headers)
        where = f"{target.method} {target.rule.rule} [{label}] -> {response.status_code}"
        if response.status_code >= 500:
            self.failures.append(where)
        elif response.status_code in (400, 413) and _row_counts(self.app) != before:
            self.failures.append(where + " but rows were written")

    def walk(self, target: Target) -> None:
        for label, value in HOSTILE.items():
            if target.rule.arguments:
                self.send(target, target.path(self.real, value) + self._query(value),
                          "path " + label, *self._body(target, value))
            self.send(target, target.path(self.real, None) + self._query(value),
                      "query/body " + label, *self._body(target, value))
        if target.rule.rule.startswith("/api/") and target.method == "POST":
            self.send(target, target.path(self.real, None), "deep JSON", DEEP.encode(),
                      "application/json")
            nested = json.dumps({"process_id": "claims", "data": {"deep": json.loads("[" * 900
                                                                                    + "]" * 900)}})
            self.send(target, target.path(self.real, None), "deep data", nested.encode(),
                      "application/json")

    def _query(self, value: str) -> str:
        return "?" + "&".join(f"{name}={_encode(value)}" for name in KNOWN_NAMES)

    def _body(self, target: Target, value: str) -> tuple[bytes | None, str | None]:
        if target.method == "GET":
            return None, None
        fields = {name: value for name in self.field_names if name != "csrf_token"}
        if target.rule.rule.startswith("/api/"):
            body = {"process_id": value, "data": fields, "name": value, "key": value,
                    "payload": fields, "id": value}
            return json.dumps(body).encode(), "application/json"
        return _urlencoded({**fields, "csrf_token": self.token}), \
            "application/x-www-form-urlencoded"


@pytest.fixture
def real_ids(app: Flask, uow) -> dict[str, str]:  # type: ignore[no-untyped-def]
    case_id = flows.start(uow, "new_business", applicant())
    task_id = flows.open_task(uow, case_id)
    return {"case_id": str(case_id), "task_id": task_id, "seq": "1", "kind": "claim",
            "name": "bpmn-viewer.js", "filename": "forms.css", "path": "new_business.bpmn",
            "filter_id": "1", "incident_id": "1"}


@pytest.mark.parametrize("username", ["admin", "clerk1"])
def test_no_route_answers_500_to_hostile_input(app: Flask, real_ids: dict[str, str],
                                                username: str) -> None:
    client = signed_in_client(app, username)
    fuzzer = Fuzzer(app, client, real_ids)
    for path in ("/new/claim", "/new/application", f"/tasks/{real_ids['task_id']}"):
        fuzzer.learn_fields(path)
    for target in _targets(app):
        if target.rule.endpoint == "auth.logout":
            continue  # signing out would end the walk; it reads no input
        fuzzer.walk(target)
    assert not fuzzer.failures, "\n".join(fuzzer.failures)


def test_one_hostile_field_among_valid_ones(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    """Each field of a real start form and task form in turn, the others valid: a form
    check or the guard answers, never a 500, and a refusal writes nothing."""
    client = api_client(app, "clerk1")
    failures: list[str] = []
    def premium_task() -> str:
        return flows.open_task(uow, flows.start(uow, "new_business", applicant()),
                               "record_first_premium")

    task_id = premium_task()
    for kind, valid, fields in (("start", applicant(), TYPED_START_FIELDS),
                                ("task", PREMIUM, tuple(PREMIUM))):
        for field in fields:
            for label in TYPED_HOSTILE:
                value = HOSTILE[label]
                path = "/api/v1/cases" if kind == "start" else f"/api/v1/tasks/{task_id}/complete"
                before = _row_counts(app)
                data = {**valid, field: value}
                body = {"process_id": "new_business", "data": data} \
                    if kind == "start" else {"data": data}
                answer = client.post(path, json=body) if label != "lone surrogate" else \
                    client.post(path, data=json.dumps(body), content_type="application/json")
                where = f"{path} {field}={label} -> {answer.status_code}"
                if answer.status_code >= 500:
                    failures.append(where)
                elif answer.status_code == 400 and _row_counts(app) != before:
                    failures.append(where + " but rows were written")
                elif answer.status_code == 200:  # done: the next value needs a new task
                    task_id = premium_task()
    assert not failures, "\n".join(failures)
