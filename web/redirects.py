"""The one check every redirect target from a request goes through (`next` fields, links).

Only paths on this site pass: `//evil`, `https://…`, backslashes (which browsers read as
slashes) and control characters (CR/LF would split the Location header) are dropped, and the
caller falls back to its own default. Views check the target BEFORE they commit, so a bad
`next` can never turn a committed claim into a reported failure.
"""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site; anything else (`//evil`, `https://…`) is dropped."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(char) < 32 or ord(char) == 127 for char in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def back_to(target: str | None, default: str) -> str:
    """Where to send the user after a form: the safe `target`, else `default`."""
    return safe_next(target) or default
