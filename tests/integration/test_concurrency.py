"""Races on PostgreSQL: the same task completed twice at once, numbers taken at once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from handlers import next_number
from models import Case
from services import case_store, tasks
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


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_numbers_taken_at_once_are_all_different(uow) -> None:  # type: ignore[no-untyped-def]
    """Eight sessions take numbers at the same time; none is handed out twice or skipped."""
    with uow() as work:  # the counter exists, as it does after the first case
        next_number(work.session, "TST")
        work.commit()

    def take(_: int) -> list[str]:
        taken = []
        for _ in range(10):
            with uow() as work:
                taken.append(next_number(work.session, "TST"))
                work.commit()
        return taken

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = [n for batch in pool.map(take, range(8)) for n in batch]
    assert sorted(numbers) == [f"TST-{n:06d}" for n in range(2, 82)]


def test_a_step_on_a_case_changed_meanwhile_is_a_conflict(uow) -> None:  # type: ignore[no-untyped-def]
    """The version check on the case row: a step prepared on what the case was before
    another transaction moved it on is refused, and nothing of it is kept."""
    flows.deploy(uow, flows.FIXTURES)
    case_id = flows.start(uow, "service_flow", {"amount": "10", "on": "2026-03-01"})
    with uow() as stale:
        case = stale.session.get(Case, case_id)
        assert case is not None
        loaded = case_store.restore(stale.session, case)
        stale.commit()  # ends the read; the loaded case keeps its version
        flows.complete(uow, case_id, "confirm", {"ok": True})  # another transaction
        result = loaded.runtime.run()
        with pytest.raises(Conflict, match="someone else changed this case"):
            case_store.save(stale.session, loaded, result)
    view = flows.show(uow, case_id)
    assert view.case.status == "completed"
    assert flows.kinds(view).count("task_completed") == 1
