"""Safe XML parsing for untrusted BPMN/DMN files (no entities, no network)."""

from __future__ import annotations

from lxml import etree

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True,
                          huge_tree=False)


def parse_xml(text: str) -> etree._Element:
    return etree.fromstring(text.encode(), parser=_PARSER)
