"""A deployed BPMN carrying an XHTML <script>: opening its diagram URL in Chromium downloads
the file and runs nothing (it used to render as XHTML and run the script)."""

from __future__ import annotations

import shutil
from pathlib import Path

from playwright.sync_api import Error, Page

from tests.support import flows
from tests.support.browser import LiveServer, sign_in

SCRIPT = ('<bpmn:extensionElements><html:script xmlns:html="http://www.w3.org/1999/xhtml">'
          "document.title = 'script ran'; alert('script ran')</html:script>"
          "</bpmn:extensionElements>")


def _case_on_a_smuggling_process(live_server: LiveServer, tmp_path: Path) -> int:
    root = tmp_path / "root"
    shutil.copytree(flows.FIXTURES / "forms", root / "forms")
    shutil.copytree(flows.FIXTURES / "processes" / "basic", root / "processes" / "basic")
    bpmn = root / "processes" / "basic" / "service_flow.bpmn"
    source = bpmn.read_text()
    after_process = source.index(">", source.index("<bpmn:process ")) + 1
    bpmn.write_text(source[:after_process] + SCRIPT + source[after_process:])
    flows.deploy(live_server.uow, root)
    return flows.start(live_server.uow, "service_flow", {"amount": "1250", "on": "2026-05-01"})


def test_diagram_url_downloads_and_runs_nothing(page: Page, live_server: LiveServer,
                                                tmp_path: Path) -> None:
    case_id = _case_on_a_smuggling_process(live_server, tmp_path)
    sign_in(page, live_server.url, "admin")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    with page.expect_download() as started:
        try:
            page.goto(f"{live_server.url}/cases/{case_id}/diagram.bpmn")
        except Error as error:  # Chromium reports a navigation that became a download
            assert "Download is starting" in str(error)
    download = started.value
    assert download.suggested_filename == f"case-{case_id}.bpmn"
    assert SCRIPT in Path(download.path()).read_text()
    assert dialogs == [] and page.title() != "script ran"
