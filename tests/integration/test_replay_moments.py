"""Per-event states of a replay: each event the engine recorded shows the case as it stood
when that element completed (not the state after the whole run), and the states of a step
still end where replay's comparison with the stored case ends."""

from __future__ import annotations

from typing import Any

import pytest

from handlers import ensure_products
from services.replay import ReplayReport, ReplayStep, replay_case, replay_stored
from services.replay_history import group_steps, load_cases
from tests.support import flows
from tests.support.audit_cases import reviewed_case
from tests.support.jobs import MovableClock, background_clock, run_due_jobs

AT_ELEMENT = ("service_called", "decision_evaluated", "gateway_passed", "end_reached")


def _report(uow, case_id: int) -> ReplayReport:  # type: ignore[no-untyped-def]
    with uow() as work:
        report = replay_case(work.session, case_id)
    assert report.matches, report.differences
    return report


def _reviewed(uow) -> int:  # type: ignore[no-untyped-def]
    flows.deploy(uow)
    with uow() as work:
        ensure_products(work.session)
        work.commit()
    return reviewed_case(uow)


def _at(report: ReplayReport, kind: str, element_id: str) -> tuple[ReplayStep, ReplayStep]:
    """The state at the event and at the event before it."""
    index = next(i for i, step in enumerate(report.steps)
                 if step.kind == kind and step.current == [element_id])
    return report.steps[index], report.steps[index - 1]


def _added(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    return set(after) - set(before)


def test_each_engine_event_shows_its_own_moment(uow) -> None:  # type: ignore[no-untyped-def]
    report = _report(uow, _reviewed(uow))
    called, before = _at(report, "service_called", "record_underwriting")
    assert _added(before.data, called.data) == {"underwriting"}
    assert called.data["underwriting"]["decision"] == "accept_with_loading"
    assert called.completed[-1] == "record_underwriting" and "issue_policy" not in \
        called.completed
    decided, before = _at(report, "decision_evaluated", "assess_risk")
    assert _added(before.data, decided.data) == {"risk_class", "loading_percent",
                                                 "risk_reason"}
    assert decided.data["risk_class"] == "refer"
    submitted, before = _at(report, "task_completed", "underwriting_review")
    assert submitted.data["loading_percent"] == 25 and "underwriting" not in submitted.data
    assert before.current[0] == "underwriting_review"  # it was waiting for the form
    started = report.steps[0]
    assert started.kind == "case_started" and started.data["full_name"] and \
        "registration" not in started.data


def test_a_step_ends_in_the_state_replay_compares(uow) -> None:  # type: ignore[no-untyped-def]
    case_id = _reviewed(uow)
    with uow() as work:
        [stored] = load_cases(work.session, [case_id])
        steps = group_steps(stored.events)
        report = replay_stored(work.session, stored, None)
        verdict = replay_stored(work.session, stored, None, keep_steps=False)
    assert report.matches and verdict.matches and not verdict.steps
    states = {state.seq: state for state in report.steps}
    for step in steps:
        after = states[step.events[-1].seq]
        at_element = [states[e.seq] for e in step.events if e.kind in AT_ELEMENT]
        for state in at_element:  # the run went on from each moment to its end
            assert after.completed[:len(state.completed)] == state.completed, state
        if at_element and step.events[-1].kind not in AT_ELEMENT:
            last = at_element[-1]
            assert {k: after.data.get(k) for k in last.data} == last.data
    # the last event shows the state after the last run, the one compared with the store
    stored_view = flows.show(uow, case_id)
    assert report.steps[-1].data == stored_view.data
    assert report.steps[-1].current == [t.element_id for t in stored_view.open_tasks]


@pytest.fixture
def clock(uow) -> MovableClock:  # type: ignore[no-untyped-def]
    return background_clock(uow)


def test_a_retried_call_shows_its_result_at_its_own_event(
        uow, clock: MovableClock, session_factory) -> None:  # type: ignore[no-untyped-def]
    case_id = flows.start(uow, "flaky_flow", {})
    for seconds in (10, 20, 60):
        clock.advance(seconds=seconds)
        run_due_jobs(session_factory)
    report = _report(uow, case_id)
    called, retried = _at(report, "service_called", "call_flaky")
    assert retried.kind == "retry_attempted" and "flaky" not in retried.data
    assert "call_flaky" in retried.current  # it stood at the failed call
    assert _added(retried.data, called.data) == {"flaky"}
    assert report.steps[-1].current == ["call_down"]
