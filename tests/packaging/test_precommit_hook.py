"""The pre-commit hook as a user's repository gets it: `pre-commit try-repo` against this clone.

pre-commit clones this repository (a local path: no network for the clone), builds a virtualenv of
its own and pip-installs the package from the clone (dependencies from PyPI or pip's cache), then
runs the hook of .pre-commit-hooks.yaml on the user's staged site files.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.packaging.conftest import REPO, outside_env, python3_only

pytestmark = pytest.mark.packaging

PRE_COMMIT_TIMEOUT_SECONDS = 900


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.mark.timeout(2 * PRE_COMMIT_TIMEOUT_SECONDS)
def test_try_repo_runs_the_hook_on_site_files(tmp_path: Path) -> None:
    user = tmp_path / "user-repo"
    (user / "sites").mkdir(parents=True)
    for example in sorted((REPO / "examples" / "sites").glob("*.yaml")):
        shutil.copy(example, user / "sites" / example.name)
    (user / "notes.yaml").write_text("not: a site file\n", encoding="utf-8")  # not matched by the hook
    git(user, "init", "--quiet")
    git(user, "add", ".")

    pre_commit = Path(sys.executable).parent / "pre-commit"
    env = outside_env(
        [python3_only(tmp_path / "python")],
        tmp_path / "home",
        {"PRE_COMMIT_HOME": str(tmp_path / "pre-commit-cache"), "GIT_CONFIG_NOSYSTEM": "1"},
    )

    def try_repo() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(pre_commit), "try-repo", str(REPO), "chekt-devices-validate", "--verbose"],
            cwd=user,
            env=env,
            capture_output=True,
            text=True,
            timeout=PRE_COMMIT_TIMEOUT_SECONDS,
            check=False,
        )

    passed = try_repo()
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "validate CHeKT site files" in passed.stdout and "Passed" in passed.stdout
    assert "2 site files valid" in passed.stdout

    broken = user / "sites" / "dealer-2-site-3.yaml"
    broken.write_text(broken.read_text(encoding="utf-8").replace('zone_number: "001"', "zone_number: 001"))
    git(user, "add", ".")
    failed = try_repo()
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "Failed" in failed.stdout
    assert "sites/dealer-2-site-3.yaml:" in failed.stdout and "/zone_number" in failed.stdout
