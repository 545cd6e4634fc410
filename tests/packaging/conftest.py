"""Fixtures for the packaging tests: the wheel built once, and environments free of this checkout."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT_SECONDS = 600


def python3_only(folder: Path) -> Path:
    """``folder`` holding just ``python3``: the interpreter this test's virtualenv was made from, and
    none of the scripts installed beside it (a new user's PATH has no chekt-devices of ours)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "python3").symlink_to(Path(getattr(sys, "_base_executable", sys.executable)).resolve())
    return folder


def outside_env(path: list[Path], home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """An environment like a new user's shell: no virtualenv, no CHEKT_*/PULUMI_* settings of ours, a
    HOME of its own, and PATH = ``path`` + the system folders. pip keeps its cache and index settings."""
    keep = {
        k: v
        for k, v in os.environ.items()
        if k.startswith("PIP_") or k in ("LANG", "LC_ALL", "TMPDIR", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")
    }
    cache = Path(os.environ.get("PIP_CACHE_DIR", Path.home() / ".cache" / "pip"))
    env = {
        **keep,
        "HOME": str(home),
        "PATH": os.pathsep.join([*map(str, path), "/usr/local/bin", "/usr/bin", "/bin"]),
        "PIP_CACHE_DIR": str(cache),  # a new HOME must not mean downloading every dependency again
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "NO_COLOR": "1",
    }
    env.update(extra or {})
    return env


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of this checkout, built the way `make wheel` builds it."""
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(dist), str(REPO)],
        check=True,
        timeout=BUILD_TIMEOUT_SECONDS,
    )
    [built] = dist.glob("pulumi_chekt-*.whl")
    return built
