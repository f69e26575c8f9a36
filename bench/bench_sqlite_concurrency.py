"""Eight clients on one web process on SQLite (prints figures; not a test).

SQLite is the embedded default; a web process serves many people at once. Each client is a
signed-in clerk's browser session (keep-alive HTTP/1.1 on 127.0.0.1, cookie + CSRF token)
that, over and over, starts a new_business case through the JSON API, reads it back and
completes its "Record first premium" task (three automated steps follow). Every answer's
status is counted: the goal is no 500 (and no 503) at all, whatever the latencies.

1. A fresh SQLite file of its own (never the test database): migrated, the real processes
   deployed, demo user clerk1.
2. The real app (create_app) served by werkzeug's threaded server in a child process
   (gunicorn is not a dependency), so the clients do not share its interpreter.
3. --clients threads, each running --cases start+complete rounds, or until --seconds pass.
4. Printed: answers by status for starts and completions, p50/p95/p99 of each, rounds per
   second, and the environment (busy timeout, load average).

Usage: python bench/bench_sqlite_concurrency.py [--clients 8] [--cases 25] [--seconds 120]
                                                [--database PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from werkzeug.serving import make_server  # noqa: E402

from bench.bench_inbox import Browser, KeepAliveHandler, percentiles  # noqa: E402
from bench.support import _today, application, fresh_database  # noqa: E402
from cli.demo import seed_demo_users  # noqa: E402
from models.db import sqlite_busy_timeout  # noqa: E402

CLERK = "clerk1"


class JsonBrowser(Browser):
    """The Browser of bench_inbox, sending JSON to the API with the session's CSRF token."""

    def post_json(self, path: str, body: dict[str, Any], token: str) -> tuple[int, Any]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
                   "Content-Type": "application/json", "X-CSRF-Token": token}
        self.connection.request("POST", path, body=json.dumps(body), headers=headers)
        return self._answer()

    def get_json(self, path: str) -> tuple[int, Any]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        self.connection.request("GET", path, headers=headers)
        return self._answer()

    def _answer(self) -> tuple[int, Any]:
        response = self.connection.getresponse()
        content = response.read().decode()
        try:
            return response.status, json.loads(content)
        except json.JSONDecodeError:
            return response.status, content


class Tally:
    """Statuses and latencies of one kind of call, from every client thread."""

    def __init__(self) -> None:
        self.statuses: Counter[int] = Counter()
        self.seconds: list[float] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()

    def add(self, status: int, elapsed: float, body: Any) -> None:
        with self._lock:
            self.statuses[status] += 1
            self.seconds.append(elapsed)
            if status >= 500 and len(self.errors) < 5:
                self.errors.append(str(body)[:300])

    def figures(self) -> dict[str, Any]:
        figures: dict[str, Any] = {"by_status": {str(k): v for k, v in
                                                 sorted(self.statuses.items())},
                                   "server_errors": sum(v for k, v in self.statuses.items()
                                                        if k >= 500)}
        if self.seconds:
            figures.update(percentiles(self.seconds))
        if self.errors:
            figures["first_server_errors"] = self.errors
        return figures


def client(port: int, number: int, args: argparse.Namespace, deadline: float,
           starts: Tally, completions: Tally) -> None:
    browser = JsonBrowser("127.0.0.1", port)
    browser.sign_in(CLERK)
    token = browser.csrf_token("/inbox")
    premium = {"method": "online", "amount": "450.00", "paid_on": _today()}
    for round_number in range(args.cases):
        if time.monotonic() > deadline:
            return
        started = time.perf_counter()
        status, body = browser.post_json("/api/v1/cases", {
            "process_id": "new_business",
            "data": application(number * 100_000 + round_number)}, token)
        starts.add(status, time.perf_counter() - started, body)
        if status != 201:
            continue
        _, view = browser.get_json(f"/api/v1/cases/{body['id']}")
        task_id = next(t["id"] for t in view["open_tasks"]
                       if t["element_id"] == "record_first_premium")
        started = time.perf_counter()
        status, body = browser.post_json(f"/api/v1/tasks/{task_id}/complete",
                                         {"data": premium}, token)
        completions.add(status, time.perf_counter() - started, body)


def serve(database: str, port: int) -> None:
    """The child process: the real app on 127.0.0.1:port until killed."""
    from app import create_app

    app = create_app({"DATABASE_URL": database,
                      "SECRET_KEY": "bench-sqlite-concurrency-" + "k" * 32})
    make_server("127.0.0.1", port, app, threaded=True,
                request_handler=KeepAliveHandler).serve_forever()


def start_server(database: str) -> tuple[subprocess.Popen[bytes], int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, __file__, "--serve", database, str(port)],
                              cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, port
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the web server did not start within 60 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--cases", type=int, default=25, help="rounds per client")
    parser.add_argument("--seconds", type=float, default=120.0, help="stop starting rounds "
                        "after this long")
    parser.add_argument("--database", help="SQLite file to create (default: a new temporary "
                        "directory); an existing file is replaced")
    parser.add_argument("--serve", nargs=2, metavar=("URL", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return
    scratch = None if args.database else tempfile.TemporaryDirectory(prefix="insurflow-bench-")
    path = Path(args.database or Path(scratch.name if scratch else ".") / "bench.db")
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    database = f"sqlite:///{path}"
    uow = fresh_database(database)
    with uow() as work:
        seed_demo_users(work.session, only={CLERK})
        work.commit()
    server, port = start_server(database)
    starts, completions = Tally(), Tally()
    load_before = os.getloadavg()[0]
    began = time.perf_counter()
    try:
        threads = [threading.Thread(target=client, args=(port, n, args,
                                                         time.monotonic() + args.seconds,
                                                         starts, completions))
                   for n in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
        if scratch is not None:
            scratch.cleanup()
    elapsed = time.perf_counter() - began
    print(json.dumps({
        "case_starts": starts.figures(), "task_completions": completions.figures(),
        "rounds_per_second": round(len(completions.seconds) / elapsed, 1),
        "environment": {
            "database": str(path), "clients": args.clients, "cases_per_client": args.cases,
            "sqlite_busy_timeout_s": sqlite_busy_timeout(), "python": platform.python_version(),
            "cpus": os.cpu_count(), "load_average_1m_before": round(load_before, 2),
            "load_average_1m_after": round(os.getloadavg()[0], 2),
            "server": "werkzeug make_server, threaded, HTTP/1.1 keep-alive, child process"},
    }, indent=2))


if __name__ == "__main__":
    main()
