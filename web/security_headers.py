"""Security headers on every response, and file downloads that never run in the browser.

Pages allow scripts from this site only (no inline script: JavaScript lives in web/static/*.js
and /vendor), never appear in a frame, and are not kept in any cache: every page and API
answer past sign-in may carry personal data. Styles may be inline because bpmn-js styles the
diagram it draws from script; scripts stay strict. Static files and /vendor stay cacheable.

Downloads (BPMN, DMN, history.json, any file of a process version) are attachments under a
sandboxing policy: an XHTML <script> smuggled into a deployed BPMN file is never run, even
when its URL is opened directly.
"""

from __future__ import annotations

import re

from flask import Flask, Response, request

PAGE_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
])
DOWNLOAD_POLICY = "sandbox; default-src 'none'; frame-ancestors 'none'"
# Files that hold no personal data and carry their own caching: the app's and node_modules'.
CACHEABLE_ENDPOINTS = frozenset({"static", "vendor.asset"})


def as_download(response: Response, filename: str) -> Response:
    """An attachment under a sandbox policy, with a file name safe in any header."""
    safe_name = re.sub(r"[^A-Za-z0-9._-]", "_", filename) or "download"
    response.headers["Content-Disposition"] = f'attachment; filename="{safe_name}"'
    response.headers["Content-Security-Policy"] = DOWNLOAD_POLICY
    return response


def add_security_headers(response: Response) -> Response:
    """after_request (also runs for error pages): headers a view did not set itself."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", PAGE_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint not in CACHEABLE_ENDPOINTS:
        headers["Cache-Control"] = "no-store"
    return response


def init_security_headers(app: Flask) -> None:
    app.after_request(add_security_headers)
