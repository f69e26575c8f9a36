"""Picking the BPMN file that draws a process, its start event and its step names."""

from __future__ import annotations

from engine.diagram import bpmn_file_for, element_names, start_event_ids

HEAD = ('<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'id="defs">')
MAIN = HEAD + """
  <bpmn:process id="main" isExecutable="true">
    <bpmn:startEvent id="begin" name="Application&#10;received" />
    <bpmn:startEvent id="on_timer"><bpmn:timerEventDefinition /></bpmn:startEvent>
    <bpmn:callActivity id="call_sub" name="Run sub" calledElement="sub" />
    <bpmn:subProcess id="inner"><bpmn:startEvent id="inner_start" /></bpmn:subProcess>
  </bpmn:process>
</bpmn:definitions>"""
SUB = HEAD + '<bpmn:process id="sub"><bpmn:startEvent id="sub_start" /></bpmn:process>' \
             '</bpmn:definitions>'


def test_the_file_defining_the_process_wins_over_a_wrong_preference() -> None:
    files = {"processes/a/sub.bpmn": SUB, "processes/a/main.bpmn": MAIN, "forms/x.json": "{}"}
    assert bpmn_file_for(files, "main", preferred="processes/a/sub.bpmn") == \
        "processes/a/main.bpmn"
    assert bpmn_file_for(files, "sub", preferred="processes/a/sub.bpmn") == \
        "processes/a/sub.bpmn"
    assert bpmn_file_for(files, "nowhere") is None
    assert bpmn_file_for({"broken.bpmn": "<not xml"}, "main") is None


def test_start_events_are_the_process_own_none_starts() -> None:
    assert start_event_ids(MAIN, "main") == ["begin"]
    assert start_event_ids(MAIN, "sub") == []


def test_names_fall_back_to_ids_and_fold_line_breaks() -> None:
    names = element_names(MAIN)
    assert names["begin"] == "Application received"
    assert names["inner_start"] == "inner_start"
    assert "main" in names and element_names("<broken") == {}
