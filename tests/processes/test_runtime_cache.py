"""The runtime a process keeps between steps (services.runtime_cache) is exactly the case as
stored: used only while the row is the one it saved, and indistinguishable from a restore."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from engine import CaseRuntime
from models import Case
from services import case_store, tasks
from services.errors import BadSetting
from services.runtime_cache import CACHE, CAPACITY, SIZE_SETTING, capacity_setting
from tests.support import flows
from tests.support.applicants import DELIVERY, PREMIUM, RECEIPT, applicant

STEPS = [("record_first_premium", PREMIUM), ("deliver_policy", DELIVERY),
         ("record_delivery_confirmation", RECEIPT)]


@pytest.fixture
def restores(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Counts restores from the database (a kept runtime is not one)."""
    counted: list[int] = []
    original = CaseRuntime.restore.__func__  # type: ignore[attr-defined]

    def counting(cls: type[CaseRuntime], *args: Any, **kwargs: Any) -> CaseRuntime:
        counted.append(1)
        return original(cls, *args, **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(CaseRuntime, "restore", classmethod(counting))
    yield counted


def _rows(runtime: CaseRuntime) -> list[tuple[str, str]]:
    """Each task row as canonical JSON. PostgreSQL's JSONB reorders a dict's keys, so a data
    delta's list of deleted names may come back in another order: the same set."""
    rows = []
    for row in runtime.save().tasks:
        content = {**row.content, "delta": {**row.content["delta"], "deletions": sorted(
            row.content["delta"].get("deletions", []))}}
        rows.append((row.task_id, json.dumps(content, sort_keys=True, default=str)))
    return rows


def test_each_step_moves_the_kept_runtime_on_without_a_restore(insurer, restores) -> None:
    case_id = flows.start(insurer, "new_business", applicant())
    for element_id, data in STEPS:
        flows.complete(insurer, case_id, element_id, data)
    # flows.show restores once per call to read the case (read-only pages never take it)
    shows = 2 * len(STEPS)
    assert len(restores) == shows
    assert flows.show(insurer, case_id).case.status == "completed"


def test_the_kept_runtime_is_the_stored_case_after_every_step(insurer) -> None:
    case_id = flows.start(insurer, "new_business", applicant())
    for element_id, data in STEPS:
        with insurer() as work:
            case = work.session.get_one(Case, case_id)
            kept = CACHE.peek(case)
            assert kept is not None
            restored = case_store.restore(work.session, case)
            assert _rows(kept.runtime) == _rows(restored.runtime)
            assert kept.runtime.case_data() == restored.runtime.case_data()
        flows.complete(insurer, case_id, element_id, data)


def test_a_completed_case_is_not_kept(insurer) -> None:
    """No step will need it; kept, it would only crowd active cases out of the cache."""
    case_id = flows.start(insurer, "new_business", applicant())
    for element_id, data in STEPS[:-1]:
        flows.complete(insurer, case_id, element_id, data)
    with insurer() as work:
        assert CACHE.peek(work.session.get_one(Case, case_id)) is not None
    element_id, data = STEPS[-1]
    flows.complete(insurer, case_id, element_id, data)
    with insurer() as work:
        case = work.session.get_one(Case, case_id)
        assert case.status == "completed"
        assert CACHE.peek(case) is None


def test_a_case_run_without_the_cache_takes_the_same_path(insurer, monkeypatch) -> None:
    kept_case = flows.start(insurer, "new_business", applicant())
    for element_id, data in STEPS:
        flows.complete(insurer, kept_case, element_id, data)
    monkeypatch.setattr(CACHE, "take", lambda case: None)  # every step restores
    cold_case = flows.start(insurer, "new_business", applicant())
    for element_id, data in STEPS:
        flows.complete(insurer, cold_case, element_id, data)
    kept, cold = flows.show(insurer, kept_case), flows.show(insurer, cold_case)
    assert [(e.kind, e.element_id) for e in kept.events] == \
        [(e.kind, e.element_id) for e in cold.events]
    assert (kept.case.status, set(kept.data)) == (cold.case.status, set(cold.data))


def test_a_row_changed_by_someone_else_is_restored_not_trusted(insurer, restores) -> None:
    case_id = flows.start(insurer, "new_business", applicant())
    with insurer() as work:  # another process moved the row on: its version changes
        case = work.session.get_one(Case, case_id)
        case.updated_at = case.updated_at + timedelta(seconds=1)
        work.commit()
    restores.clear()
    task_id = flows.open_task(insurer, case_id, "record_first_premium")
    with insurer() as work:
        tasks.complete_task(work.session, task_id, PREMIUM, "clerk1")
        work.commit()
    assert len(restores) == 2  # open_task's read, then the step itself


def test_a_step_that_is_not_committed_leaves_nothing_kept(insurer, restores) -> None:
    case_id = flows.start(insurer, "new_business", applicant())
    task_id = flows.open_task(insurer, case_id, "record_first_premium")
    with insurer() as work:
        tasks.complete_task(work.session, task_id, PREMIUM, "clerk1")
        # no commit: the transaction rolls back with the session
    with insurer() as work:
        assert CACHE.peek(work.session.get_one(Case, case_id)) is None
    view = flows.complete(insurer, case_id, "record_first_premium", PREMIUM)
    assert [t.element_id for t in view.open_tasks] == ["deliver_policy"]


def test_with_the_cache_turned_off_every_step_restores(insurer, restores) -> None:
    CACHE.resize(0)
    try:
        case_id = flows.start(insurer, "new_business", applicant())
        view = flows.complete(insurer, case_id, "record_first_premium", PREMIUM)
    finally:
        CACHE.resize(capacity_setting())
    assert len(restores) == 3  # open_task's read, the step, the final read
    assert [t.element_id for t in view.open_tasks] == ["deliver_policy"]


@pytest.mark.parametrize("value", ["many", "-3", "1.5"])
def test_a_bad_cache_size_setting_is_refused_by_name(monkeypatch, value) -> None:
    monkeypatch.setenv(SIZE_SETTING, value)
    with pytest.raises(BadSetting, match=f"{SIZE_SETTING} must be a whole number.*'{value}'"):
        capacity_setting()
    insurflow = str(Path(sys.executable).parent / "insurflow")
    result = subprocess.run([insurflow, "processes", "list"], capture_output=True, text=True,
                            env={**os.environ, SIZE_SETTING: value}, check=False)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"Error: {SIZE_SETTING} must be a whole number of cases (0 turns the cache off), "
        f"not '{value}'"]


def test_the_cache_size_setting_sets_how_many_are_kept(monkeypatch) -> None:
    monkeypatch.setenv(SIZE_SETTING, "7")
    assert capacity_setting() == 7
    monkeypatch.delenv(SIZE_SETTING)
    assert capacity_setting() == CAPACITY
    with pytest.raises(ValueError, match="cannot be negative"):
        CACHE.resize(-1)
