"""The process registry: validate and deploy the files under processes/, list versions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from engine import (
    ProcessBundle,
    ProcessDefinition,
    discover,
    form_path,
    parse_bundle,
    start_form_keys,
    validate_bundle,
)
from engine.bundle import sha256_text
from engine.clock import current_time
from engine.definitions import cached_definition
from handlers import REGISTRY
from models import ProcessVersion, StoredFile

from .errors import DeployRejected, NotFound
from .form_rules import RuleError, parse_rules
from .roles import LANE_ROLES

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class DeployOutcome:
    process_id: str
    version: int
    created: bool


def validate_files(root: Path = PROJECT_ROOT) -> tuple[list[ProcessBundle], list[str]]:
    """Every problem in every process under root, as 'file [element]: sentence' lines."""
    bundles, problems = discover(root)
    found = [str(p) for p in problems]
    for bundle in bundles:
        found += [str(p) for p in validate_bundle(bundle, REGISTRY.names(), set(LANE_ROLES))]
        found += form_rule_problems(bundle.files, {form_path(key)
                                                   for key in start_form_keys(bundle)})
    return bundles, found


def form_rule_problems(files: dict[str, str], start_forms: set[str] | None = None) -> list[str]:
    """A form's x-rules spelt wrongly would fail every submission, and a start form's rule
    that reads the case would never be judged (no case yet): refuse both at deploy."""
    problems = []
    for path, text in sorted(files.items()):
        if not (path.startswith("forms/") and path.endswith(".json")):
            continue
        try:
            schema = json.loads(text)
            rules = parse_rules(schema) if isinstance(schema, dict) else []
        except json.JSONDecodeError:
            continue  # validate_bundle reports it
        except RuleError as error:
            problems.append(f"{path}: {error}")
            continue
        if path in (start_forms or set()):
            problems += [f"{path}: rule {number} of x-rules compares with {rule.operand}, but "
                         "a start form has no case yet" for number, rule in enumerate(rules, 1)
                         if rule.needs_case]
    return problems


def deploy(session: Session, actor: str, root: Path = PROJECT_ROOT) -> list[DeployOutcome]:
    """All or nothing: a single problem anywhere and the registry stays as it was."""
    bundles, problems = validate_files(root)
    if problems:
        raise DeployRejected(problems)
    return [_deploy_bundle(session, bundle, actor) for bundle in bundles]


def _deploy_bundle(session: Session, bundle: ProcessBundle, actor: str) -> DeployOutcome:
    latest = latest_version(session, bundle.process_id)
    if latest is not None and latest.content_hash == bundle.content_hash:
        return DeployOutcome(bundle.process_id, latest.version, created=False)
    files = {}
    for path, text in bundle.files.items():
        digest = sha256_text(text)
        if session.get(StoredFile, digest) is None:
            session.add(StoredFile(sha256=digest, content=text))
        files[path] = digest
    version = ProcessVersion(process_id=bundle.process_id, name=bundle.name,
                             version=(latest.version + 1) if latest else 1,
                             content_hash=bundle.content_hash, files=files,
                             bpmn_path=bundle.bpmn_path, deployed_at=current_time(),
                             deployed_by=actor)
    session.add(version)
    session.flush()
    return DeployOutcome(bundle.process_id, version.version, created=True)


_LATEST = (select(ProcessVersion).where(ProcessVersion.process_id == bindparam("process_id"))
           .order_by(ProcessVersion.version.desc()).limit(1))


def latest_version(session: Session, process_id: str) -> ProcessVersion | None:
    return session.scalars(_LATEST, {"process_id": process_id}).first()


def list_versions(session: Session) -> list[ProcessVersion]:
    newest = (select(ProcessVersion.process_id, func.max(ProcessVersion.version).label("v"))
              .group_by(ProcessVersion.process_id).subquery())
    return list(session.scalars(
        select(ProcessVersion).join(newest, (ProcessVersion.process_id == newest.c.process_id)
                                    & (ProcessVersion.version == newest.c.v))
        .order_by(ProcessVersion.process_id)))


@dataclass(frozen=True)
class NewestVersion:
    """What starting a case needs of a process's newest version: read by one small query,
    since the parsed definition is normally cached by content hash (the row holds more)."""

    id: int
    name: str
    version: int
    content_hash: str


_NEWEST = (select(ProcessVersion.id, ProcessVersion.name, ProcessVersion.version,
                  ProcessVersion.content_hash)
           .where(ProcessVersion.process_id == bindparam("process_id"))
           .order_by(ProcessVersion.version.desc()).limit(1))


def require_latest(session: Session, process_id: str) -> NewestVersion:
    row = session.connection().execute(_NEWEST, {"process_id": process_id}).first()
    if row is None:
        raise NotFound(f"no process '{process_id}' is deployed; run 'insurflow processes deploy'")
    return NewestVersion(row.id, row.name, row.version, row.content_hash)


def version_definition(session: Session, version: NewestVersion) -> ProcessDefinition:
    """The version's parsed definition: cached by content hash, else parsed from its row."""
    cached = cached_definition(version.content_hash)
    if cached is not None:
        return cached
    return definition_for(session, session.get_one(ProcessVersion, version.id))


def definition_for(session: Session, version: ProcessVersion) -> ProcessDefinition:
    """The parsed version exactly as deployed (its own stored files, not today's files)."""
    cached = cached_definition(version.content_hash)
    if cached is not None:
        return cached
    files = {}
    for path, digest in version.files.items():
        stored = session.get(StoredFile, digest)
        if stored is None:
            raise NotFound(f"file {path} of {version.process_id} v{version.version} is missing")
        files[path] = stored.content
    bundle = ProcessBundle(version.process_id, version.name, version.bpmn_path, files)
    return parse_bundle(bundle)
