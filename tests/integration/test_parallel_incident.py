"""A case stopped at an incident in one branch stays 'incident' while another branch moves on,
and replay rebuilds the same status."""

from __future__ import annotations

from pathlib import Path

from services.replay import replay_case
from tests.support import flows
from tests.support import handlers as _test_handlers  # noqa: F401 - registers test.fail

ROOT = Path(__file__).resolve().parent.parent / "fixtures" / "parallel"


def test_the_other_branch_moving_on_does_not_clear_the_incident(uow) -> None:  # type: ignore[no-untyped-def]
    flows.deploy(uow, ROOT)
    case_id = flows.start(uow, "parallel_incident", {})
    view = flows.show(uow, case_id)
    assert view.case.status == "incident"
    assert [i.element_id for i in view.incidents] == ["call_fail"]

    view = flows.complete(uow, case_id, "confirm", {"ok": True})
    assert view.case.status == "incident"  # call_fail is still stopped
    with uow() as work:
        report = replay_case(work.session, case_id)
    assert report.matches, report.differences
