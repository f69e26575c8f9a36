"""Two clerks complete the same task at the same moment: exactly one wins."""

from __future__ import annotations

import threading

import pytest

from services import tasks
from services.errors import Conflict
from tests.support import flows


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_same_task_completed_twice_at_once(uow) -> None:  # type: ignore[no-untyped-def]
    flows.deploy(uow, flows.FIXTURES)
    case_id = flows.start(uow, "service_flow", {"amount": "10", "on": "2026-03-01"})
    task_id = flows.open_task(uow, case_id, "confirm")
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def attempt(user: str) -> None:
        with uow() as work:
            barrier.wait()
            try:
                tasks.complete_task(work.session, task_id, {"ok": True}, user)
                work.commit()
                outcomes[user] = "completed"
            except Conflict as error:
                outcomes[user] = f"conflict: {error}"

    threads = [threading.Thread(target=attempt, args=(u,)) for u in ("ann", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(v.split(":")[0] for v in outcomes.values()) == ["completed", "conflict"]
    loser = next(v for v in outcomes.values() if v.startswith("conflict"))
    assert "already completed" in loser
    view = flows.show(uow, case_id)
    assert flows.kinds(view).count("task_completed") == 1
    assert view.case.status == "completed"
