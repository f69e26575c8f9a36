#!/usr/bin/env python3
"""Verify an Insurflow audit export on its own: Python 3.11+ standard library only.

Reads the JSON written by `insurflow audit export CASE_ID` and checks the hash chain: events
numbered 1, 2, 3... without a gap, each event's SHA-256 recomputed from its content and the
previous event's hash (the first follows 64 zeros), each link to the event before, and the
case's head hash and event count. The recipe is in docs/audit.md; this file is meant to be
read, copied and run anywhere, without Insurflow installed.

Exit status: 0 the history is intact, 1 it is not (the first bad event is named), 2 the file
cannot be read as an export.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from typing import Any

GENESIS = "0" * 64


def canonical(case_id: int, event: dict[str, Any]) -> bytes:
    """The bytes the event's hash covers (docs/audit.md, "The hashing recipe")."""
    document = {"actor": event["actor"], "at": event["at"], "case_id": case_id,
                "element_id": event["element_id"], "kind": event["kind"],
                "payload": whole_numbers_as_int(event["payload"]),
                "prev_hash": event["prev_hash"], "seq": event["seq"]}
    return json.dumps(document, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=True).encode("ascii")


def whole_numbers_as_int(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: whole_numbers_as_int(item) for key, item in value.items()}
    if isinstance(value, list):
        return [whole_numbers_as_int(item) for item in value]
    return value


def first_problem(export: dict[str, Any]) -> str | None:
    """A sentence naming the first bad event, or None when the chain holds."""
    case = export["case"]
    previous = GENESIS
    events = export["events"]
    for position, event in enumerate(events, start=1):
        if event["seq"] != position:
            return f"event {position} is missing or out of order: found event {event['seq']}"
        if hashlib.sha256(canonical(case["id"], event)).hexdigest() != event["hash"]:
            return f"event {position} was altered: its content no longer matches its hash"
        if event["prev_hash"] != previous:
            return (f"event {position} does not follow event {position - 1}: an event before "
                    "it was altered, inserted or removed")
        previous = event["hash"]
    if case["last_event_seq"] != len(events):
        return (f"the case recorded {case['last_event_seq']} events but the export holds "
                f"{len(events)}: event {min(case['last_event_seq'], len(events)) + 1} "
                "is missing or was added")
    if case["head_hash"] != previous:
        return f"event {len(events)} does not match the case's head hash"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("export", metavar="FILE", help="the JSON file of one case's history")
    args = parser.parse_args(argv)
    try:
        with open(args.export, encoding="utf-8") as handle:
            export = json.load(handle)
        label = f"case {export['case']['id']} ({export['case']['business_key']})"
        problem = first_problem(export)
    except OSError as error:
        return _unreadable(args.export, error.strerror or str(error))
    except KeyError as error:
        return _unreadable(args.export, f"it has no field {error}")
    except (ValueError, TypeError) as error:
        return _unreadable(args.export, str(error))
    if problem:
        print(f"NOT INTACT: {label}: {problem}")
        return 1
    print(f"intact: {label}: {len(export['events'])} events, head hash {head_of(export)}")
    return 0


def _unreadable(path: str, reason: str) -> int:
    print(f"cannot read {path} as an Insurflow audit export: {reason}", file=sys.stderr)
    return 2


def head_of(export: dict[str, Any]) -> str:
    events = export["events"]
    return str(events[-1]["hash"]) if events else GENESIS


if __name__ == "__main__":
    sys.exit(main())
