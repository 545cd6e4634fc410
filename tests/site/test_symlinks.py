"""A site file that resolves outside the project is refused before it is read, so a symlink such as
``sites/a.yaml -> ~/token.txt`` never puts the token into `pulumi preview`, `validate` or a PR comment.

Before: the file was parsed and its content quoted in the validation error.
"""

from __future__ import annotations

import pathlib
from pathlib import Path
from typing import Any

import pytest

from pulumi_chekt.program import load_sites, site_files
from pulumi_chekt.site import SiteValidationError, check_site_file
from tests.cli.conftest import run_cli
from tests.e2e.conftest import project, pulumi_bin  # noqa: F401 (fixtures)

TOKEN = "fake-token-7c1e0b9d4a"
GOOD = (
    'dealer_id: 2\nsite_id: 3\ndevices:\n  - {external_device_id: a, device_type: camera, zone_number: "1"}\n'
)


@pytest.fixture
def layout(tmp_path: Path) -> tuple[Path, Path]:
    """A project (Pulumi.yaml, sites/) and, outside it, a file holding a token, linked from sites/."""
    root = tmp_path / "project"
    (root / "sites").mkdir(parents=True)
    (root / "Pulumi.yaml").write_text("name: p\nruntime: python\n", encoding="utf-8")
    secret = tmp_path / "home" / "token.txt"
    secret.parent.mkdir()
    secret.write_text(f"{TOKEN}\n", encoding="utf-8")
    (root / "sites" / "a.yaml").symlink_to(secret)
    (root / "sites" / "b.yaml").write_text(GOOD, encoding="utf-8")
    return root, secret


def test_the_program_refuses_a_symlink_out_of_the_project_unread(
    layout: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, secret = layout
    opened: list[Path] = []
    real_open = pathlib.Path.open

    def spy(self: Path, *args: Any, **kwargs: Any) -> Any:
        opened.append(self.resolve())
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "open", spy)

    with pytest.raises(SiteValidationError) as caught:
        load_sites(site_files(["sites/*.yaml"], root), root)

    assert [str(p) for p in caught.value.problems] == ["sites/a.yaml: resolves outside the project"]
    assert TOKEN not in str(caught.value)
    assert secret.resolve() not in opened
    assert (root / "sites" / "b.yaml").resolve() in opened


def test_a_symlinked_folder_out_of_the_project_is_refused_too(tmp_path: Path) -> None:
    root = tmp_path / "project"
    outside = tmp_path / "elsewhere"
    root.mkdir()
    outside.mkdir()
    (outside / "site.yaml").write_text(GOOD, encoding="utf-8")
    (root / "sites").symlink_to(outside, target_is_directory=True)
    _, problems = check_site_file(root / "sites" / "site.yaml", root=root)
    assert [p.message for p in problems] == ["resolves outside the project"]


def test_a_symlink_inside_the_project_is_fine(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "store.yaml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "store.yaml").symlink_to(tmp_path / "shared" / "store.yaml")
    site, problems = check_site_file(tmp_path / "store.yaml", root=tmp_path)
    assert problems == [] and site is not None


def test_a_symlink_loop_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    _, problems = check_site_file(tmp_path / "a.yaml", root=tmp_path)
    assert len(problems) == 1 and problems[0].message.startswith("cannot read file: ")


def test_validate_refuses_it_and_never_prints_the_token(layout: tuple[Path, Path]) -> None:
    root, _ = layout

    done = run_cli("validate", "a.yaml", "b.yaml", cwd=root / "sites")  # Pulumi.yaml is one folder up

    assert done.returncode == 1
    assert done.stdout == "a.yaml: resolves outside the project\n"
    assert TOKEN not in done.stdout + done.stderr

    as_json = run_cli("validate", "--format", "json", "sites/a.yaml", cwd=root)
    assert TOKEN not in as_json.stdout + as_json.stderr
    assert '"message": "resolves outside the project"' in as_json.stdout


def test_validate_project_root_option(layout: tuple[Path, Path]) -> None:
    root, secret = layout
    narrow = run_cli("validate", "--project-root", root / "sites", root / "sites" / "b.yaml")
    assert narrow.returncode == 0, narrow.stdout
    wide = run_cli("validate", "--project-root", secret.parent.parent, root / "sites" / "a.yaml")
    assert wide.returncode == 1
    assert "resolves outside" not in wide.stdout  # allowed now: read, and found not to be a site file


def test_a_file_named_outside_the_current_project_is_checked_against_its_own(tmp_path: Path) -> None:
    """`chekt-devices validate /tmp/x.yaml` from inside a repository still works; a link there cannot
    leave the folder it is in."""
    (tmp_path / "x.yaml").write_text(GOOD, encoding="utf-8")
    assert run_cli("validate", tmp_path / "x.yaml").returncode == 0  # cwd: this repository
    (tmp_path / "inner").mkdir()
    (tmp_path / "inner" / "y.yaml").symlink_to(tmp_path / "x.yaml")
    refused = run_cli("validate", tmp_path / "inner" / "y.yaml")
    assert refused.stdout == f"{tmp_path / 'inner' / 'y.yaml'}: resolves outside the project\n"


def test_pulumi_preview_refuses_it_and_never_prints_the_token(project: Any, tmp_path: Path) -> None:  # noqa: F811
    secret = tmp_path / "token.txt"
    secret.write_text(f"{TOKEN}\n", encoding="utf-8")
    (project.sites_dir / "a.yaml").symlink_to(secret)

    result = project.run("preview", check=False)

    assert result.returncode != 0
    assert "sites/a.yaml: resolves outside the project" in result.output
    assert TOKEN not in result.output
