"""The files of the exact process version a case ran on, and how each differs today.

Every file of a version (BPMN, DMN, forms) is kept content-addressed in `stored_file`, so
an auditor can download what the case really ran on and compare it, file by file, with
the version deployed now.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Case, ProcessVersion, StoredFile

from .errors import NotFound
from .processes import latest_version

KINDS = {".bpmn": "Process (BPMN)", ".dmn": "Decision table (DMN)", ".json": "Form"}
MEDIA_TYPES = {".bpmn": "application/xml", ".dmn": "application/xml",
               ".json": "application/json"}
# A diff longer than this is cut (the whole file is still downloadable).
MAX_DIFF_LINES = 2000


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "file", "hunk", "added", "removed", "same"
    text: str


@dataclass(frozen=True)
class VersionFile:
    path: str
    sha256: str
    kind: str
    # "same", "changed", "removed" (not in the current version) or "current" (the case runs
    # on the current version)
    change: str
    diff: list[DiffLine] = field(default_factory=list)
    added_lines: int = 0
    removed_lines: int = 0
    truncated: bool = False


@dataclass(frozen=True)
class VersionComparison:
    version: ProcessVersion
    current: ProcessVersion
    files: list[VersionFile]
    # paths the current version has and the case's version has not
    new_in_current: list[str]


def _suffix(path: str) -> str:
    return path[path.rfind("."):] if "." in path else ""


def file_kind(path: str) -> str:
    return KINDS.get(_suffix(path), "File")


def media_type(path: str) -> str:
    return MEDIA_TYPES.get(_suffix(path), "text/plain")


def stored_contents(session: Session, digests: set[str]) -> dict[str, str]:
    """sha256 -> content for all the digests, in one query."""
    if not digests:
        return {}
    rows = session.execute(select(StoredFile.sha256, StoredFile.content)
                           .where(StoredFile.sha256.in_(sorted(digests))))
    return {digest: content for digest, content in rows}


def version_texts(session: Session, version: ProcessVersion) -> dict[str, str]:
    """path -> content of every file of the version."""
    contents = stored_contents(session, set(version.files.values()))
    return {path: contents.get(digest, "") for path, digest in version.files.items()}


def unified_diff(old: str, new: str, old_name: str, new_name: str) -> list[DiffLine]:
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), old_name, new_name,
                                 lineterm="")
    found = []
    for line in lines:
        if line.startswith(("---", "+++")):
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        else:
            kind = {"+": "added", "-": "removed"}.get(line[:1], "same")
        found.append(DiffLine(kind, line))
    return found


def _compare(path: str, digest: str, version: ProcessVersion, current: ProcessVersion,
             contents: dict[str, str]) -> VersionFile:
    kind = file_kind(path)
    if version.id == current.id:
        return VersionFile(path, digest, kind, "current")
    current_digest = current.files.get(path)
    if current_digest is None:
        return VersionFile(path, digest, kind, "removed")
    if current_digest == digest:
        return VersionFile(path, digest, kind, "same")
    diff = unified_diff(contents.get(digest, ""), contents.get(current_digest, ""),
                        f"{path} (version {version.version}, this case)",
                        f"{path} (version {current.version}, current)")
    return VersionFile(path, digest, kind, "changed", diff[:MAX_DIFF_LINES],
                       sum(1 for line in diff if line.kind == "added"),
                       sum(1 for line in diff if line.kind == "removed"),
                       len(diff) > MAX_DIFF_LINES)


def _order(path: str) -> tuple[int, str]:
    return (list(KINDS).index(_suffix(path)) if _suffix(path) in KINDS else 9, path)


def compare_with_current(session: Session, version: ProcessVersion) -> VersionComparison:
    """Each file of `version` against the same path in the newest version of the process."""
    current = latest_version(session, version.process_id) or version
    contents = stored_contents(session, set(version.files.values()) | set(current.files.values()))
    files = [_compare(path, version.files[path], version, current, contents)
             for path in sorted(version.files, key=_order)]
    added = sorted((set(current.files) - set(version.files)), key=_order)
    return VersionComparison(version, current, files, added)


def case_version(session: Session, case: Case) -> ProcessVersion:
    version = session.get(ProcessVersion, case.process_version_id)
    assert version is not None  # FK guarantees it
    return version


def case_file(session: Session, case: Case, path: str) -> tuple[ProcessVersion, str]:
    """The content of one file of the case's version; NotFound for any other path."""
    version = case_version(session, case)
    digest = version.files.get(path)
    stored = session.get(StoredFile, digest) if digest else None
    if stored is None:
        raise NotFound(f"version {version.version} of {version.process_id} has no file "
                       f"'{path}'")
    return version, stored.content
