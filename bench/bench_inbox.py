"""The clerks' inbox under load, measured over HTTP (prints figures; not a test).

Target: with 100,000 open and 1,000,000 completed human tasks in PostgreSQL, a clerk's inbox
page (first page, filtered, searched) under 50 ms at the 95th percentile and a task
completion under 30 ms at the median, both as seen by the HTTP client.

1. A fresh PostgreSQL database: migrated, the real processes deployed, demo user clerk1,
   then --open / --completed human tasks over ~3.7 tasks per case (bench/inbox_data.py).
2. N real new_business cases started through the service layer; each waits at the clerk's
   "Record first premium" task.
3. The real app (create_app) served over real HTTP by werkzeug's threaded server in a
   background thread (gunicorn is not a dependency), keep-alive HTTP/1.1; an http.client
   connection signs in as clerk1 through /login like a browser (cookie + CSRF token).
4. GET /inbox for: the groups tab's first page; filtered (process + overdue); searched by a
   business key prefix and by a customer name; each --requests times after warm-up.
5. The other reads of open work, filtered by the need-to-know rule (services/case_access.py)
   in SQL: the overview page, GET /api/v1/tasks and a case page, each --requests times.
6. POST /tasks/<id> action=complete with the form filled in, for each real case: first the
   first-premium task (three automated steps follow it: the premium booking, the risk
   record and the policy issue), then the same cases' deliver-policy task (one follows).

Usage: python bench/bench_inbox.py [--postgres URL] [--open N] [--completed N]
                                   [--requests N] [--completions N] [--reuse]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import sys
import threading
import time
from collections.abc import Callable
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402
from werkzeug.serving import WSGIRequestHandler, make_server  # noqa: E402

from app import create_app  # noqa: E402
from bench import inbox_data  # noqa: E402
from bench.support import _today, application, fresh_database, migrate  # noqa: E402
from cli.demo import demo_password, seed_demo_users  # noqa: E402
from models import Case, HumanTask  # noqa: E402
from models.db import make_engine, make_session_factory  # noqa: E402
from services import cases  # noqa: E402
from services.unit_of_work import UnitOfWork  # noqa: E402

PG_INBOX_DEFAULT = "postgresql://postgres@127.0.0.1:5432/insurflow_bench_inbox"
CLERK = "clerk1"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
SCENARIOS: dict[str, dict[str, str]] = {
    "groups_first_page": {"tab": "groups"},
    "filtered_process_overdue": {"tab": "groups", "process": "new_business", "due": "overdue"},
    "search_business_key_prefix": {"tab": "groups", "search": "APP-0123"},
    "search_customer_name": {"tab": "groups", "search": "wang"},
}


class KeepAliveHandler(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like a browser

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class Browser:
    """One keep-alive connection with a cookie jar: a signed-in clerk's browser tab."""

    def __init__(self, host: str, port: int) -> None:
        self.connection = http.client.HTTPConnection(host, port)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None
                ) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        content = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, content

    def csrf_token(self, path: str) -> str:
        status, page = self.request("GET", path)
        found = CSRF_META.search(page)
        assert status == 200 and found, f"no CSRF token on {path} ({status})"
        return found.group(1)

    def sign_in(self, username: str) -> None:
        token = self.csrf_token("/login")
        status, _ = self.request("POST", "/login", {
            "username": username, "password": demo_password(username), "csrf_token": token})
        assert status == 302, f"sign-in failed: {status}"


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] * 1000, 2)

    return {"p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99),
            "max_ms": round(ordered[-1] * 1000, 2), "n": len(ordered)}


def timed(action: Callable[[], None]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def existing_database(url: str) -> Any:
    """A database an earlier run loaded, brought to the newest schema (for quick re-runs)."""
    engine = migrate(url)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE human_task"))
    factory = make_session_factory(engine)
    return lambda: UnitOfWork(factory)


def start_waiting_cases(uow: Any, count: int) -> list[str]:
    """Real new_business cases, each at the clerk's first-premium task; their task ids."""
    task_ids = []
    with uow() as work:  # id numbers not used by earlier runs on this database
        first = 1 + (work.session.scalar(select(func.count()).select_from(Case)) or 0)
    for number in range(first, first + count):
        with uow() as work:
            case = cases.start_case(work.session, "new_business", application(number), "bench")
            work.commit()
            task_ids.append(work.session.scalars(select(HumanTask.id).where(
                HumanTask.case_id == case.id, HumanTask.status == "open",
                HumanTask.element_id == "record_first_premium")).one())
    return task_ids


def delivery_tasks(uow: Any, premium_task_ids: list[str]) -> list[str]:
    """The deliver-policy task each case reached after its premium was completed."""
    with uow() as work:
        case_ids = list(work.session.scalars(select(HumanTask.case_id).where(
            HumanTask.id.in_(premium_task_ids))))
        return list(work.session.scalars(select(HumanTask.id).where(
            HumanTask.case_id.in_(case_ids), HumanTask.status == "open",
            HumanTask.element_id == "deliver_policy")))


def measure_inbox(browser: Browser, requests: int, warmup: int) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for name, args in SCENARIOS.items():
        path = "/inbox?" + urlencode(args)
        results: list[tuple[int, str]] = []

        def get(target: str = path, sink: list[tuple[int, str]] = results) -> None:
            sink.append(browser.request("GET", target))

        for _ in range(warmup):
            get()
        samples = [timed(get) for _ in range(requests)]
        status, page = results[-1]
        assert status == 200, f"{path}: HTTP {status}"
        shown = re.search(r'id="result-count" role="status">(\d+) task', page)
        figures[name] = {"query": args, **percentiles(samples),
                         "matching_tasks": int(shown.group(1)) if shown else None,
                         "page_bytes": len(page)}
    return figures


def measure_reads(browser: Browser, case_id: int, requests: int,
                  warmup: int) -> dict[str, Any]:
    """Pages that list or show cases outside the inbox, as the signed-in clerk sees them."""
    figures: dict[str, Any] = {}
    for name, path in {"overview": "/", "api_tasks": "/api/v1/tasks",
                       "case_page": f"/cases/{case_id}"}.items():
        for _ in range(warmup):
            browser.request("GET", path)
        statuses: list[int] = []

        def get(target: str = path, sink: list[int] = statuses) -> None:
            sink.append(browser.request("GET", target)[0])

        samples = [timed(get) for _ in range(requests)]
        assert set(statuses) == {200}, f"{path}: HTTP {statuses[-1]}"
        figures[name] = {"path": path, **percentiles(samples)}
    return figures


PREMIUM_FORM = {"method": "online", "amount": "450.00"}
DELIVERY_FORM = {"method": "mail"}


def measure_completions(browser: Browser, task_ids: list[str], warmup: int,
                        fields: dict[str, str]) -> dict[str, Any]:
    date_field = "paid_on" if "amount" in fields else "sent_on"
    form = {"action": "complete", **fields, date_field: _today()}
    token = browser.csrf_token("/inbox")
    samples = []
    for index, task_id in enumerate(task_ids):
        def post(target: str = task_id) -> None:
            status, body = browser.request("POST", f"/tasks/{target}",
                                           {**form, "csrf_token": token})
            assert status == 302, f"completing {target}: HTTP {status} {body[:300]}"

        elapsed = timed(post)
        if index >= warmup:
            samples.append(elapsed)
    figures = percentiles(samples)
    return {"median_ms": figures["p50_ms"], "p95_ms": figures["p95_ms"],
            "max_ms": figures["max_ms"], "n": figures["n"], "warmup": warmup}


def environment(url: str, loaded: dict[str, Any]) -> dict[str, Any]:
    engine = make_engine(url)
    with engine.connect() as conn:
        version = conn.scalar(text("SHOW server_version"))
        counts = dict(conn.execute(text(
            "SELECT status, count(*) FROM human_task GROUP BY status")).all())
    engine.dispose()
    return {"server": "werkzeug make_server, threaded, HTTP/1.1 keep-alive, in-process thread",
            "client": "http.client, one keep-alive connection, cookie session (clerk1)",
            "postgres": version, "python": platform.python_version(), "cpus": os.cpu_count(),
            "human_task_rows_at_end": counts, "load": loaded}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default=PG_INBOX_DEFAULT, help="database URL")
    parser.add_argument("--open", type=int, default=100_000, help="open tasks to load")
    parser.add_argument("--completed", type=int, default=1_000_000,
                        help="completed tasks to load")
    parser.add_argument("--requests", type=int, default=200, help="GETs per inbox scenario")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--reuse", action="store_true",
                        help="measure the database an earlier run loaded (no reload)")
    parser.add_argument("--completions", type=int, default=200,
                        help="real cases whose clerk task is completed over HTTP")
    args = parser.parse_args()

    if args.reuse:
        uow = existing_database(args.postgres)
        loaded: dict[str, Any] = {"reused": True}
    else:
        uow = fresh_database(args.postgres)
        with uow() as work:
            seed_demo_users(work.session, only={CLERK})
            work.commit()
        engine = make_engine(args.postgres)
        loaded = inbox_data.load(engine, args.open, args.completed)
        engine.dispose()
        print(f"loaded: {json.dumps(loaded)}", file=sys.stderr)
    warm_completions = min(10, args.completions // 10)
    started = time.perf_counter()
    task_ids = start_waiting_cases(uow, args.completions + warm_completions)
    loaded["real_cases_started"] = len(task_ids)
    loaded["real_cases_s"] = round(time.perf_counter() - started, 1)

    loaded["load_average_1m_before_http"] = round(os.getloadavg()[0], 2)
    app = create_app({"DATABASE_URL": args.postgres, "SECRET_KEY": "bench-inbox-" + "k" * 32})
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=KeepAliveHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        browser = Browser("127.0.0.1", server.server_port)
        browser.sign_in(CLERK)
        figures: dict[str, Any] = {"inbox": measure_inbox(browser, args.requests, args.warmup)}
        with uow() as work:
            first_case = work.session.scalar(select(HumanTask.case_id).where(
                HumanTask.id == task_ids[0]))
        figures["reads"] = measure_reads(browser, int(first_case or 0), args.requests,
                                         args.warmup)
        # First premium: the heaviest clerk step (three automated steps follow it).
        figures["complete_task"] = measure_completions(browser, task_ids, warm_completions,
                                                       PREMIUM_FORM)
        # The same cases' next clerk task, deliver policy: one automated step follows.
        figures["complete_task_one_step"] = measure_completions(
            browser, delivery_tasks(uow, task_ids), warm_completions, DELIVERY_FORM)
    finally:
        server.shutdown()
    loaded["load_average_1m_after_http"] = round(os.getloadavg()[0], 2)
    p95s = [f["p95_ms"] for f in figures["inbox"].values()]
    figures["targets"] = {
        "inbox_p95_under_50ms": max(p95s) < 50,
        "completion_median_under_30ms": figures["complete_task"]["median_ms"] < 30,
        "one_step_completion_median_under_30ms":
            figures["complete_task_one_step"]["median_ms"] < 30}
    figures["environment"] = environment(args.postgres, loaded)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
