"""`chekt-devices affected` and the stack files it reads: which stacks a change touches."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pulumi_chekt.cli.stacks import StackFiles, glob_regex, matches, stack_files
from tests.cli.conftest import run_cli

PROJECT = "name: chekt-sites\nruntime: python\n"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    write(tmp_path / "Pulumi.yaml", PROJECT)
    write(tmp_path / "Pulumi.east.yaml", 'config:\n  chekt:sites:\n    - "sites/east/*.yaml"\n')
    write(
        tmp_path / "Pulumi.west.yaml",
        'config:\n  chekt:sites:\n    - "sites/west/**/*.yaml"\n    - sites/shared.yaml\n',
    )
    write(tmp_path / "Pulumi.legacy.yaml", "config:\n  chekt:clientId: x\n")  # no chekt:sites: the default
    return tmp_path


def affected(fleet: Path, *paths: str, stdin: str | None = None) -> list[str]:
    done = run_cli("affected", "--project-dir", fleet, *paths, stdin=stdin)
    assert done.returncode == 0, done.stderr
    result: list[str] = json.loads(done.stdout)
    return result


def test_stack_files_read_each_stacks_globs(fleet: Path) -> None:
    assert stack_files(fleet) == [
        StackFiles("east", "Pulumi.east.yaml", ("sites/east/*.yaml",)),
        StackFiles("legacy", "Pulumi.legacy.yaml", ("sites/*.yaml",)),  # the program's default
        StackFiles("west", "Pulumi.west.yaml", ("sites/west/**/*.yaml", "sites/shared.yaml")),
    ]


def test_a_site_file_touches_only_its_stack_even_when_deleted(fleet: Path) -> None:
    assert affected(fleet, "sites/east/store.yaml") == ["east"]  # the file does not exist: by pattern
    assert affected(fleet, "sites/west/a/b/x.yaml") == ["west"]
    assert affected(fleet, "sites/shared.yaml") == ["legacy", "west"]  # also legacy's default sites/*.yaml
    assert affected(fleet, "sites/east/sub/x.yaml", "README.md", "other/x.yaml") == []
    assert affected(fleet, stdin="sites/west/x.yaml\n./sites/east/y.yaml\n\n") == ["east", "west"]
    assert affected(fleet, "Pulumi.west.yaml") == ["west"]
    assert affected(fleet, "sites/a.yaml") == ["legacy"]  # the default, sites/*.yaml


def test_project_wide_files_touch_every_stack(fleet: Path) -> None:
    assert affected(fleet, "__main__.py") == ["east", "legacy", "west"]
    assert affected(fleet, "Pulumi.yaml") == ["east", "legacy", "west"]
    done = run_cli("affected", "--project-dir", fleet, "--all-if", ".github/**", ".github/workflows/x.yml")
    assert json.loads(done.stdout) == ["east", "legacy", "west"]
    lines = run_cli("affected", "--project-dir", fleet, "--format", "lines", "sites/east/a.yaml")
    assert lines.stdout == "east\n"


def test_a_broken_stack_config_is_an_error(fleet: Path) -> None:
    write(fleet / "Pulumi.bad.yaml", "config:\n  chekt:sites: 3\n")
    done = run_cli("affected", "--project-dir", fleet, "sites/east/a.yaml")
    assert done.returncode == 1
    assert "Pulumi.bad.yaml: chekt:sites must be a list of glob strings" in done.stderr


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("sites/*.yaml", "sites/a.yaml", True),
        ("sites/*.yaml", "sites/x/a.yaml", False),
        ("sites/**/*.yaml", "sites/a.yaml", True),
        ("sites/**/*.yaml", "sites/x/y/a.yaml", True),
        ("sites/site-?.yaml", "sites/site-1.yaml", True),
        ("sites/site-[!0-4].yaml", "sites/site-5.yaml", True),
        ("sites/site-[!0-4].yaml", "sites/site-3.yaml", False),
        ("sites/a.yaml", "sites/a_yaml", False),
    ],
)
def test_glob_patterns_respect_folders(pattern: str, path: str, expected: bool) -> None:
    assert bool(glob_regex(pattern).match(path)) is expected
    assert matches(StackFiles("s", "Pulumi.s.yaml", (pattern,)), path) is expected
