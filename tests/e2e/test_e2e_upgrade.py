"""A stack written by the previous release (main at 359d25c, before site records) upgrades with no device
created, replaced, updated or deleted: only the site records are created. The old version runs for
real — its source, taken from git, first on PYTHONPATH of the engine's Python processes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pulumi_chekt.api import ChektClient
from tests.e2e.conftest import device, site
from tests.e2e.harness import PulumiProject, changed_steps, device_name
from tests.e2e.releases import PREVIOUS, has_commit, release_source
from tests.routes import UPDATE, WRITES, count


def baseline_source(folder: Path) -> Path:
    if not has_commit(PREVIOUS):
        pytest.skip(
            f"this clone has no commit {PREVIOUS} (a shallow clone?): `git fetch --unshallow` runs this test"
        )
    return release_source(folder)


def resources_of(project: PulumiProject, kind: str) -> list[dict[str, Any]]:
    state = json.loads(project.exported_state())
    return [r for r in state["deployment"]["resources"] if r["type"].endswith(f"chekt:{kind}")]


def test_a_stack_of_the_previous_version_upgrades_touching_no_device(
    project: PulumiProject, api: ChektClient, admin: Any, tmp_path: Path
) -> None:
    project.extra_env["PYTHONPATH"] = str(baseline_source(tmp_path / "baseline"))
    store = site(2, 3, device("cam-a", "001", name="A"), device("cam-b", "002"))
    project.write_site("store.yaml", store)
    project.write_site("dock.yaml", site(2, 4, device("dock", "010", device_type="bridge")))
    project.up()
    assert len(resources_of(project, "Device")) == 3 and resources_of(project, "Site") == []
    ids = {d["external_device_id"]: d["device_id"] for s in (3, 4) for d in api.list_devices(2, s)}
    del project.extra_env["PYTHONPATH"]  # this version from here on

    preview = project.preview_json()
    assert changed_steps(preview) == []  # no device created, replaced, updated or deleted
    records = [s for s in preview["steps"] if "chekt:Site" in s["urn"]]
    assert sorted((s["op"], device_name(s)) for s in records) == [("create", "2/3"), ("create", "2/4")]
    writes = count(admin, *WRITES)
    project.up()
    assert count(admin, *WRITES) == writes  # the records only listed their sites
    assert len(resources_of(project, "Site")) == 2
    project.run("preview", "--expect-no-changes")

    store["devices"][0]["name"] = "A (east)"
    project.write_site("store.yaml", store)
    steps = changed_steps(project.preview_json())
    assert [(s["op"], device_name(s)) for s in steps] == [("update", "2/3/cam-a")]
    updates = count(admin, UPDATE)
    project.up()
    assert count(admin, UPDATE) == updates + 1
    live = {d["external_device_id"]: d for s in (3, 4) for d in api.list_devices(2, s)}
    assert live["cam-a"]["name"] == "A (east)"
    assert {key: d["device_id"] for key, d in live.items()} == ids  # nothing replaced

    project.destroy()
    assert api.list_devices(2, 3) == [] and api.list_devices(2, 4) == []
