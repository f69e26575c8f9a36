"""Every third-party package the code imports is declared in pyproject.toml (runtime or dev),
so a fresh install from the lock has it; a package that only arrives as another one's
dependency can disappear with that one's next release."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CODE = ["engine", "services", "web", "cli", "handlers", "models", "tools", "bench", "tests",
        "migrations", "app.py"]
LOCAL = {"engine", "services", "web", "cli", "handlers", "models", "tools", "bench", "tests",
         "migrations", "app"}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        requirements += extra
    return {_normal(re.split(r"[\s<>=!~;\[]", text, maxsplit=1)[0]) for text in requirements}


def _imported_modules() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    files = [p for part in CODE for p in ((ROOT / part).rglob("*.py")
                                          if (ROOT / part).is_dir() else [ROOT / part])]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.Import) else
                     [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0
                     and node.module else [])
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_imported_package_is_declared() -> None:
    distributions = packages_distributions()
    declared = _declared()
    missing = {}
    for module, files in _imported_modules().items():
        if module in sys.stdlib_module_names or module in LOCAL or module == "__future__":
            continue
        owners = {_normal(d) for d in distributions.get(module, [module])}
        if not owners & declared:
            missing[module] = sorted(files)[:3]
    assert missing == {}, f"imported but not declared in pyproject.toml: {missing}"


def test_the_check_sees_third_party_imports() -> None:
    """The walk finds lxml, which engine/ imports, and maps it to its distribution."""
    assert "engine/bundle.py" in _imported_modules()["lxml"]
    assert "lxml" in packages_distributions()["lxml"] and "lxml" in _declared()
