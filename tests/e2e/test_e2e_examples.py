"""The examples/device-program project runs as documented, with the real CLI."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from pulumi_chekt.api import ChektClient
from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.e2e.harness import REPO, PulumiProject


def test_device_program_example_up_and_destroy(
    tmp_path: Path, pulumi_bin: Path, server: Any, api: ChektClient
) -> None:
    root = tmp_path / "device-program"
    shutil.copytree(REPO / "examples" / "device-program", root)
    project = PulumiProject(root, pulumi_bin)
    project.create(server.url, server.token_url, CLIENT_ID, CLIENT_SECRET, program=None)
    project.run("config", "set", "example:siteId", "4")
    project.up()
    devices = {d["external_device_id"]: d for d in api.list_devices(2, 4)}
    assert set(devices) == {"lobby-cam", "parking-l1", "parking-l2", "parking-l3"}
    assert devices["lobby-cam"]["additional_zone_numbers"] == "051,052"
    assert project.outputs()["lobby_device_id"] == devices["lobby-cam"]["device_id"]
    project.run("preview", "--expect-no-changes")
    project.destroy()
    assert api.list_devices(2, 4) == []
