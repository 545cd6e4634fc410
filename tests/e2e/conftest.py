"""End-to-end fixtures: the real Pulumi CLI, a local API server, and a project per test."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.e2e.harness import PulumiProject, pulumi_bin_dir


@pytest.fixture(scope="session")
def pulumi_bin() -> Path:
    found = pulumi_bin_dir()
    if found is None:
        pytest.fail(
            "the Pulumi CLI is needed for the end-to-end tests: run `make test` (it builds it with "
            "scripts/get-pulumi.sh) or set PULUMI_BIN_DIR",
            pytrace=False,
        )
    return found


@pytest.fixture
def project(tmp_path: Path, pulumi_bin: Path, server: Any) -> PulumiProject:
    return PulumiProject(tmp_path / "project", pulumi_bin).create(
        server.url, server.token_url, CLIENT_ID, CLIENT_SECRET
    )


def site(dealer_id: int, site_id: int, *devices: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"dealer_id": dealer_id, "site_id": site_id, **extra, "devices": list(devices)}


def device(external_id: str, zone: str, device_type: str = "camera", **extra: Any) -> dict[str, Any]:
    return {"external_device_id": external_id, "device_type": device_type, "zone_number": zone, **extra}
