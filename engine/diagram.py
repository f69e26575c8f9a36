"""What a process diagram shows: which stored file draws a process, its start and its names.

The web UI draws the exact BPMN a case runs on; these helpers read that XML with the safe
parser (no SpiffWorkflow needed) so the service layer can pick the file and name the steps.
"""

from __future__ import annotations

from collections.abc import Mapping

from lxml import etree

from .xml import NS, parse_xml

_BPMN = NS["bpmn"]


def bpmn_file_for(files: Mapping[str, str], process_id: str,
                  preferred: str | None = None) -> str | None:
    """The path of the BPMN file defining `process_id`, trying `preferred` first.

    A version may hold several BPMN files (call activities); the deployed `bpmn_path`
    normally is the right one, but we check the XML rather than trust the name.
    """
    candidates = sorted(path for path in files if path.endswith(".bpmn"))
    if preferred in candidates:
        candidates.remove(preferred)
        candidates.insert(0, preferred)
    for path in candidates:
        if _find_process(files[path], process_id) is not None:
            return path
    return None


def start_event_ids(xml_text: str, process_id: str) -> list[str]:
    """The process's own none start events (not those of embedded subprocesses).

    `case_started` has no element id in the history; this is the step it stands for.
    """
    process = _find_process(xml_text, process_id)
    if process is None:
        return []
    starts = process.findall("bpmn:startEvent", NS)
    plain = [s for s in starts if not any(
        etree.QName(child).localname.endswith("EventDefinition") for child in s)]
    return [s.get("id") for s in (plain or starts) if s.get("id")]


def element_names(xml_text: str) -> dict[str, str]:
    """Every BPMN element id in the file mapped to its name (the id when it has none)."""
    try:
        doc = parse_xml(xml_text)
    except etree.XMLSyntaxError:
        return {}
    names: dict[str, str] = {}
    for element in doc.iter(f"{{{_BPMN}}}*"):
        element_id = element.get("id")
        if element_id:
            names[element_id] = " ".join((element.get("name") or element_id).split())
    return names


def _find_process(xml_text: str, process_id: str) -> etree._Element | None:
    try:
        doc = parse_xml(xml_text)
    except etree.XMLSyntaxError:
        return None
    for process in doc.iterfind("bpmn:process", NS):
        if process.get("id") == process_id:
            return process
    return None
