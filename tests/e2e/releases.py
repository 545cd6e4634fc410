"""An earlier release of this package, run for real: its source taken from git, put first on the
PYTHONPATH of the engine's Python processes (the program and the dynamic provider)."""

from __future__ import annotations

import subprocess
import tarfile
from io import BytesIO
from pathlib import Path

from tests.e2e.harness import REPO

PREVIOUS = "359d25c"
"""The last commit before site records."""


def has_commit(commit: str) -> bool:
    found = subprocess.run(
        ["git", "-C", str(REPO), "cat-file", "-e", f"{commit}^{{commit}}"], capture_output=True, check=False
    )
    return found.returncode == 0


def release_source(folder: Path, commit: str = PREVIOUS) -> Path:
    """The package as it was at ``commit`` (its provider/ and schemas/), extracted under ``folder``;
    returns the folder to put on PYTHONPATH."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", commit, "provider", "schemas"],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder / "provider"
