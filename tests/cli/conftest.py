"""Fixtures for the chekt-devices tests: the CLI as a subprocess, and the end-to-end project fixtures."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.e2e.conftest import project, pulumi_bin  # noqa: F401 (fixtures shared with tests/e2e)

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_SITES = sorted((REPO / "examples" / "sites").glob("*.yaml"))

RunCli = Callable[..., subprocess.CompletedProcess[str]]


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The test's environment without any CHEKT_* variable, plus ``extra``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("CHEKT_")}
    env.update(extra or {})
    return env


def run_cli(
    *args: str | Path, env: Mapping[str, str] | None = None, stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m pulumi_chekt.cli ARGS`` as a user runs it: its own process, exit status and streams."""
    return subprocess.run(
        [sys.executable, "-m", "pulumi_chekt.cli", *map(str, args)],
        env=clean_env(env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd or REPO,
    )


@pytest.fixture
def cli_env(server: Any) -> dict[str, str]:
    """Credentials for the local server, given the only way the CLI accepts them: the environment."""
    return {
        "CHEKT_BASE_URL": server.url,
        "CHEKT_TOKEN_URL": server.token_url,
        "CHEKT_CLIENT_ID": CLIENT_ID,
        "CHEKT_CLIENT_SECRET": CLIENT_SECRET,
    }
