"""Browser libraries served straight from node_modules, so no third-party code sits in git.

`make install` runs `npm ci` from package-lock.json. URLs carry the installed version
(`vendor_url`), which lets browsers cache a file for a year and still fetch an upgrade.
"""

from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint, Response, abort, send_file, url_for

NODE_MODULES = Path(__file__).resolve().parent.parent / "node_modules"
ASSETS = {
    "bpmn-viewer.js": "bpmn-js/dist/bpmn-viewer.production.min.js",
    "bpmn-js.css": "bpmn-js/dist/assets/bpmn-js.css",
    "diagram-js.css": "bpmn-js/dist/assets/diagram-js.css",
}
ONE_YEAR = 365 * 24 * 3600

vendor_assets = Blueprint("vendor", __name__, url_prefix="/vendor")


@vendor_assets.get("/<name>")
def asset(name: str) -> Response:
    relative = ASSETS.get(name)
    if relative is None:
        abort(404)
    path = NODE_MODULES / relative
    if not path.is_file():
        return _not_installed(name)
    response = send_file(path, max_age=ONE_YEAR, conditional=True)
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response


def _not_installed(name: str) -> Response:
    """A plain answer an operator can act on; the page itself falls back to a text list."""
    message = (f"{name} is not installed: run `make install` (it needs Node.js and npm) "
               f"to fetch the browser libraries listed in package-lock.json.\n")
    response = Response(message, status=503, mimetype="text/plain")
    response.cache_control.no_store = True
    return response


@vendor_assets.app_template_global()
def vendor_url(name: str) -> str:
    """The asset's URL with the installed package version, so an upgrade busts the cache."""
    return url_for("vendor.asset", name=name, v=_installed_version(ASSETS[name]))


def _installed_version(relative: str) -> str:
    package_json = NODE_MODULES / relative.split("/", 1)[0] / "package.json"
    try:
        return str(json.loads(package_json.read_text())["version"])
    except (OSError, ValueError, KeyError):
        return "missing"
