"""Package metadata and import cost: one version, a license, tested lower bounds, a lazy root.

These run in `make test` (no wheel, no new virtualenv); the slow packaging tests are marked.
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import pulumi_chekt
from tests.packaging.conftest import REPO

_spec = importlib.util.spec_from_file_location(
    "lowest_constraints", REPO / "scripts" / "lowest_constraints.py"
)
assert _spec is not None and _spec.loader is not None
lowest_constraints = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lowest_constraints)

PACKAGE = REPO / "provider" / "pulumi_chekt"
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "module",
    [
        "pulumi_chekt",
        "pulumi_chekt.api",
        "pulumi_chekt.localserver",
        "pulumi_chekt.cli",
        "pulumi_chekt.cli.__main__",
        "pulumi_chekt.resources.fields",
        "pulumi_chekt.resources.settings",
    ],
)
def test_importing_these_does_not_load_the_pulumi_sdk(module: str) -> None:
    code = f"import sys, {module}; print(sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'grpc')))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout


def test_validate_loads_neither_the_pulumi_sdk_nor_the_http_client() -> None:
    """A pre-commit hook runs ``validate`` on every commit: it must not pay for Pulumi, grpc, requests
    or authlib, which it never uses (together about three quarters of its CPU time before)."""
    files = sorted(str(path) for path in (REPO / "examples" / "sites").glob("*.yaml"))
    code = (
        "import sys; from pulumi_chekt.cli.__main__ import main; status = main(sys.argv[1:]); "
        "print(status, sorted({m.split('.')[0] for m in sys.modules} & {'pulumi', 'grpc', 'requests', 'authlib'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "validate", *files],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
    )
    assert files and done.stdout.splitlines()[-1] == "0 []", done.stdout + done.stderr


def test_root_re_exports_resolve_on_first_use() -> None:
    code = (
        "import sys, pulumi_chekt; assert 'pulumi' not in sys.modules; "
        "from pulumi_chekt import Device, SiteDevices, load_site_file; "
        "from pulumi_chekt.resources import Device as D; assert Device is D; "
        "assert 'pulumi' in sys.modules; print(sorted(pulumi_chekt.__all__) == sorted(set(dir(pulumi_chekt)) & set(pulumi_chekt.__all__)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0 and done.stdout.strip() == "True", done.stdout + done.stderr
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = pulumi_chekt.Nope  # type: ignore[attr-defined]


def test_the_version_is_written_once() -> None:
    assert PYPROJECT["project"]["dynamic"] == ["version"]
    assert PYPROJECT["tool"]["hatch"]["version"]["path"] == "provider/pulumi_chekt/_version.py"
    assert importlib.metadata.version("pulumi-chekt") == pulumi_chekt.__version__
    literal = f'"{pulumi_chekt.__version__}"'
    holders = [p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py") if literal in p.read_text()]
    assert holders == ["_version.py"]
    done = subprocess.run(
        [sys.executable, "-m", "pulumi_chekt.cli", "--version"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stdout.strip() == f"chekt-devices {pulumi_chekt.__version__}"


def test_license_classifiers_and_extras() -> None:
    project = PYPROJECT["project"]
    assert project["license"] == "Apache-2.0"
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert "Programming Language :: Python :: 3.11" in project["classifiers"]
    metadata = importlib.metadata.metadata("pulumi-chekt")
    assert "Apache-2.0" in (metadata.get("License-Expression") or metadata.get("License") or "")
    # The local API server's framework is an extra: a provider install does not carry it.
    assert not [d for d in project["dependencies"] if d.lower().startswith("werkzeug")]
    assert any(d.startswith("werkzeug>=") for d in project["optional-dependencies"]["localserver"])
    assert "pulumi-chekt[localserver]" in project["optional-dependencies"]["dev"]


def test_only_the_local_server_imports_werkzeug() -> None:
    importers = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(n.split(".")[0] == "werkzeug" for n in names):
                importers.append(path.relative_to(PACKAGE).parts[0])
    assert importers and set(importers) == {"localserver"}


def test_every_direct_dependency_has_a_tested_lower_bound() -> None:
    requirements = lowest_constraints.direct_requirements(PYPROJECT)
    pins, missing = lowest_constraints.constraints(requirements)
    assert not missing
    names = {pin.split("==")[0] for pin in pins}
    assert {"pulumi", "authlib", "joserfc", "cryptography", "werkzeug", "hatchling", "pyyaml"} <= names
    assert "pulumi==3.187.0" in pins and "authlib==1.7.1" in pins
    assert lowest_constraints.constraints(["requests", "x>=1.0; python_version<'3.12'"]) == (
        ["x==1.0; python_version<'3.12'"],
        ["requests"],
    )


def test_pre_commit_manifest_and_example_config_are_valid() -> None:
    pre_commit = Path(sys.executable).parent / "pre-commit"
    for command, path in (
        ("validate-manifest", REPO / ".pre-commit-hooks.yaml"),
        ("validate-config", REPO / "examples" / "gitops" / ".pre-commit-config.yaml"),
    ):
        done = subprocess.run(
            [str(pre_commit), command, str(path)], capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
