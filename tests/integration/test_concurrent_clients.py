"""Eight clients on one app at once, each starting cases and completing their first task:
every answer is a success. On SQLite a deferred BEGIN made about one in six of these a 500
"database is locked"; write transactions now take the write lock up front and wait."""

from __future__ import annotations

import threading
from collections import Counter

from flask import Flask
from flask.testing import FlaskClient

from tests.support.applicants import PREMIUM, applicant
from tests.support.auth import csrf_token, signed_in_client

CLIENTS, ROUNDS = 8, 4


def _rounds(client: FlaskClient, number: int, statuses: Counter[str],
            failures: list[str]) -> None:
    for round_number in range(ROUNDS):
        person = applicant(id_number=f"C{number:02d}{round_number:07d}",
                           full_name=f"Client {number} Person {round_number}")
        started = client.post("/api/v1/cases", json={"process_id": "new_business", "data": person})
        statuses[f"start {started.status_code}"] += 1
        if started.status_code != 201:
            failures.append(started.get_data(as_text=True)[:300])
            continue
        view = client.get(f"/api/v1/cases/{started.get_json()['id']}")
        statuses[f"read {view.status_code}"] += 1
        waiting = [t for t in view.get_json()["open_tasks"]
                   if t["element_id"] == "record_first_premium"]
        if len(waiting) != 1:
            failures.append(f"case {view.get_json()['id']}: {view.get_json()['incidents']}")
            continue
        [task] = waiting
        done = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": PREMIUM})
        statuses[f"complete {done.status_code}"] += 1
        if done.status_code != 200:
            failures.append(done.get_data(as_text=True)[:300])


def test_eight_clients_start_and_complete_without_errors(app: Flask) -> None:
    clients = []
    for _ in range(CLIENTS):
        client = signed_in_client(app, "clerk1")
        client.environ_base["HTTP_X_CSRF_TOKEN"] = csrf_token(client, "/inbox")
        clients.append(client)
    statuses: Counter[str] = Counter()
    failures: list[str] = []
    barrier = threading.Barrier(CLIENTS)

    def run(number: int) -> None:
        barrier.wait()
        _rounds(clients[number], number, statuses, failures)

    threads = [threading.Thread(target=run, args=(number,)) for number in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert failures == []
    total = CLIENTS * ROUNDS
    assert statuses == {"start 201": total, "read 200": total, "complete 200": total}
