"""A case's audit page and printable report: the exact version and its files with a diff
against a newer deployed version, each decision with its table and matched rule, each
human step with who claimed and completed it and the form they submitted."""

from __future__ import annotations

import html as html_lib
import re
import shutil
from pathlib import Path

from flask import Flask

from tests.support import flows
from tests.support.audit_cases import referred_case, reviewed_case
from tests.support.auth import signed_in_client

DMN = "processes/new_business/underwriting_risk.dmn"
OLD_REASON = "Major health condition needs medical underwriting"
NEW_REASON = "Major health condition: send to the medical officer"



def _text(html: str) -> str:
    """The page as words: tags dropped, entities decoded, whitespace squeezed."""
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _deploy_changed_dmn(uow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "changed"
    for folder in ("processes", "forms"):
        shutil.copytree(flows.PROJECT / folder, root / folder)
    dmn = root / DMN
    assert OLD_REASON in dmn.read_text()
    dmn.write_text(dmn.read_text().replace(OLD_REASON, NEW_REASON))
    outcomes = {o.process_id: o for o in flows.deploy(uow, root)}
    assert outcomes["new_business"].version == 2 and outcomes["new_business"].created
    assert not outcomes["claims"].created


def test_case_page_names_the_version_and_its_files(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    case_id = referred_case(uow)
    view = flows.show(uow, case_id)
    page = signed_in_client(app, "aud1").get(f"/audit/cases/{case_id}").get_data(as_text=True)
    text = _text(page)
    assert f"Case {case_id} · {view.case.business_key}" in text and "Mei Lin" in text
    assert f"Version 1 (the current version) Content hash {view.version.content_hash}" in text
    assert "Deployed" in text and "by analyst" in text
    for path in view.version.files:
        assert f'href="/audit/cases/{case_id}/files/{path}"' in page, path
    assert "no change (this is the current version)" in text


def test_a_changed_file_is_diffed_against_the_current_version(  # type: ignore[no-untyped-def]
        app: Flask, uow, tmp_path: Path) -> None:
    case_id = referred_case(uow)
    _deploy_changed_dmn(uow, tmp_path)
    client = signed_in_client(app, "aud1")
    page = client.get(f"/audit/cases/{case_id}").get_data(as_text=True)
    text = _text(page)
    assert "Version 1 (current: version 2)" in text
    assert re.search(r"underwriting_risk\.dmn Decision table \(DMN\) \w+… changed: \+\d+ −\d+",
                     text)
    assert "new_business.bpmn Process (BPMN)" in text
    bpmn_row = text.split("new_business.bpmn Process (BPMN)")[1][:40]
    assert "no change" in bpmn_row
    removed = re.findall(r'<span class="diff-removed">([^<]*)</span>', page)
    added = re.findall(r'<span class="diff-added">([^<]*)</span>', page)
    assert any(OLD_REASON in line for line in removed)
    assert any(NEW_REASON in line for line in added)
    assert not any(NEW_REASON in line for line in removed)
    # the download is the file as the case ran it, not today's
    old_file = client.get(f"/audit/cases/{case_id}/files/{DMN}")
    assert old_file.headers["Content-Disposition"] == \
        'attachment; filename="underwriting_risk-v1.dmn"'
    assert old_file.mimetype == "application/xml"
    assert OLD_REASON in old_file.get_data(as_text=True)
    assert NEW_REASON not in old_file.get_data(as_text=True)
    # a case started now runs on version 2: nothing to diff
    new_case = referred_case(uow, id_number="NEW-2")
    newer = _text(client.get(f"/audit/cases/{new_case}").get_data(as_text=True))
    assert "Version 2 (the current version)" in newer and "changed:" not in newer


def test_a_decision_shows_its_table_version_inputs_rule_and_outputs(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    case_id = referred_case(uow)
    view = flows.show(uow, case_id)
    decision = next(e for e in view.events if e.kind == "decision_evaluated")
    page = signed_in_client(app, "aud1").get(f"/audit/cases/{case_id}").get_data(as_text=True)
    section = page.split('id="decisions-title"')[1].split('id="human-steps-title"')[0]
    text = _text(section)
    assert f"Event {decision.seq}: Underwriting risk at assess_risk" in text
    assert f"from {DMN} {view.version.files[DMN]}" in text  # the file and its hash
    assert "hit policy UNIQUE" in text
    assert "Matched rule: row 2 (Major condition: needs medical underwriting.)" in text
    assert re.search(r"Inputs Age \d+ Sum insured 250000.00 Health conditions major "
                     r"Occupation class office Smoker false Hazardous hobbies false Outputs", text)
    assert "Outputs risk_class refer loading_percent 0 risk_reason " + OLD_REASON in text
    matched = re.findall(r'<tr class="matched">\s*<th scope="row">(\d+)', section)
    assert matched == ["2"]
    assert "✔ matched" in section and section.count("<tr") == 18  # header + 17 rules


def test_human_steps_show_claim_completion_and_form(app: Flask, uow) -> None:  # type: ignore[no-untyped-def]
    case_id = reviewed_case(uow)
    page = signed_in_client(app, "aud1").get(f"/audit/cases/{case_id}").get_data(as_text=True)
    steps = _text(page.split('id="human-steps-title"')[1].split('id="timeline-title"')[0])
    premium = steps.split("Record first premium")[1].split("Underwriting review")[0]
    assert "Claimed never claimed (completed straight away)" in premium
    assert "Completed by clerk1 at" in premium
    assert "Submitted form amount 450.00 method bank_transfer paid_on 2026-11-25" in premium
    review = steps.split("Underwriting review")[1]
    assert re.search(r"Role Underwriter Ready [\d\- :]+ \(event \d+\) Claimed uw1 claimed it",
                     review)
    assert "Completed by uw1 at" in review
    assert "decision accept_with_loading loading_percent 25 reason Asthma under control" in review
    timeline = _text(page.split('id="timeline"')[1])
    assert "Task claimed by uw1" in timeline and "Uma" not in timeline
    assert "Underwriter uw1 accepted the application with a loading: Asthma under control" \
        in timeline


def test_report_prints_the_same_facts(app: Flask, uow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    case_id = reviewed_case(uow)
    _deploy_changed_dmn(uow, tmp_path)
    client = signed_in_client(app, "aud1")
    report = client.get(f"/audit/cases/{case_id}/report").get_data(as_text=True)
    text = _text(report)
    assert re.search(r"<title>Audit report: APP-\d+ · Insurflow</title>", report)
    for heading in ("1. The case", "2. Process version it ran on", "3. Decisions",
                    "4. Human steps", "5. Timeline"):
        assert heading in text
    assert report.count('class="report-section"') == 5
    assert "Matched rule: row 2" in text and "Completed by uw1" in text
    assert '<details class="diff-block" open>' in report  # diffs print expanded
    css = client.get("/static/audit.css").get_data(as_text=True)
    printing = css.split("@media print")[1]
    assert "body > header" in printing and "display: none" in printing
    assert "break-before: page" in printing
