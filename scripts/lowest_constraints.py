#!/usr/bin/env python3
"""Print pip constraints that pin every direct dependency to its declared lower bound.

Reads pyproject.toml: ``[project] dependencies``, the ``localserver`` extra and the build backend
(``[build-system] requires``). Each must have a ``>=`` lower bound naming a release that exists,
since ``make test-lowest`` installs exactly these versions: a bound nobody can install is no bound.
Exits 1 naming any dependency without one. Standard library only (runs before anything is installed).
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

EXTRAS = ("localserver",)
REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*([^;]*)(;.*)?$")
LOWER_BOUND = re.compile(r">=\s*([0-9][0-9A-Za-z.+!-]*)")


def direct_requirements(pyproject: dict[str, object]) -> list[str]:
    project = pyproject["project"]
    assert isinstance(project, dict)
    extras = project.get("optional-dependencies", {})
    build = pyproject.get("build-system", {})
    assert isinstance(extras, dict) and isinstance(build, dict)
    found = list(project.get("dependencies", []))
    for extra in EXTRAS:
        found += extras.get(extra, [])
    found += build.get("requires", [])
    return [str(r) for r in found]


def constraints(requirements: list[str]) -> tuple[list[str], list[str]]:
    """``name==lower`` lines, and the requirements that have no lower bound."""
    pins: list[str] = []
    missing: list[str] = []
    for requirement in requirements:
        match = REQUIREMENT.match(requirement)
        bound = LOWER_BOUND.search(match.group(3)) if match else None
        if match is None or bound is None:
            missing.append(requirement)
            continue
        marker = match.group(4) or ""
        pins.append(f"{match.group(1).lower()}=={bound.group(1)}{marker}")
    return pins, missing


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent / "pyproject.toml"
    pins, missing = constraints(direct_requirements(tomllib.loads(path.read_text(encoding="utf-8"))))
    if missing:
        print(f"{path}: no '>=' lower bound: {', '.join(missing)}", file=sys.stderr)
        return 1
    print("\n".join(pins))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
