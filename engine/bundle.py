"""Process bundles: a BPMN file plus the DMN and form files it refers to, hashed as one."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from .xml import NS, parse_xml


@dataclass(frozen=True)
class Problem:
    """One validation finding: which file, which element, and a plain sentence."""

    file: str
    element_id: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}" + (f" [{self.element_id}]" if self.element_id else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class ProcessBundle:
    process_id: str
    name: str
    bpmn_path: str
    # relative path -> file content, for the BPMN and everything it refers to
    files: dict[str, str] = field(hash=False)

    @property
    def content_hash(self) -> str:
        digest = hashlib.sha256()
        for path in sorted(self.files):
            digest.update(path.encode() + b"\0" + sha256_text(self.files[path]).encode() + b"\0")
        return digest.hexdigest()

    def dmn_files(self) -> dict[str, str]:
        return {p: c for p, c in self.files.items() if p.endswith(".dmn")}


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def form_path(form_key: str) -> str:
    return f"forms/{form_key}.json"


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _decision_index(root: Path, problems: list[Problem]) -> dict[str, str]:
    """decision id -> relative DMN path, for every DMN file that parses."""
    index: dict[str, str] = {}
    for path in sorted((root / "processes").rglob("*.dmn")):
        rel = _rel(path, root)
        try:
            doc = parse_xml(path.read_text())
        except etree.XMLSyntaxError as exc:
            problems.append(Problem(rel, None, f"the DMN file does not parse: {exc}"))
            continue
        for decision in doc.iter():
            if etree.QName(decision).localname == "decision" and decision.get("id"):
                index[decision.get("id")] = rel
    return index


def _referenced_keys(doc: etree._Element) -> tuple[set[str], set[str]]:
    decisions = {el.text.strip() for el in doc.iterfind(".//spiffworkflow:calledDecisionId", NS)
                 if el.text}
    forms = {el.get("value") for el in doc.iterfind(".//spiffworkflow:property", NS)
             if el.get("name") == "formKey" and el.get("value")}
    return decisions, forms


def load_bundle(root: Path, bpmn: Path, decisions: dict[str, str]) -> ProcessBundle:
    """Collect one BPMN file and the files it refers to (missing ones are left to validation)."""
    rel = _rel(bpmn, root)
    text = bpmn.read_text()
    process_id, name = bpmn.stem, bpmn.stem.replace("_", " ").capitalize()
    files = {rel: text}
    try:
        doc = parse_xml(text)
    except etree.XMLSyntaxError:
        return ProcessBundle(process_id, name, rel, files)
    process = doc.find(f".//bpmn:process[@id='{process_id}']", NS)
    if process is not None and process.get("name"):
        name = process.get("name")
    decision_ids, form_keys = _referenced_keys(doc)
    for decision_id in decision_ids:
        if decision_id in decisions:
            files[decisions[decision_id]] = (root / decisions[decision_id]).read_text()
    for key in form_keys:
        path = root / form_path(key)
        if path.is_file():
            files[form_path(key)] = path.read_text()
    return ProcessBundle(process_id, name, rel, files)


def discover(root: Path) -> tuple[list[ProcessBundle], list[Problem]]:
    """Every process under root/processes with its files, plus DMN files that do not parse."""
    problems: list[Problem] = []
    decisions = _decision_index(root, problems)
    bundles = [load_bundle(root, path, decisions)
               for path in sorted((root / "processes").rglob("*.bpmn"))]
    return bundles, problems
