"""ISO 8601 durations for task due dates (PnYnMnDTnHnMnS, PnW)."""

from __future__ import annotations

import re
from datetime import timedelta

_PATTERN = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)


def parse_duration(text: str) -> timedelta:
    match = _PATTERN.match(text.strip())
    if not match or text.strip() in ("P", "PT"):
        raise ValueError(f"'{text}' is not an ISO 8601 duration such as P2D or PT48H")
    parts = {k: int(v) for k, v in match.groupdict().items() if v}
    return timedelta(**parts)
