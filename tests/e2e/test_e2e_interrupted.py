"""A `pulumi up` killed (kill -9 of the CLI, the language host and the provider) halfway through, then
the recovery steps of docs/interrupted.md: the API ends equal to the files, with no duplicate and
nothing lost, and the state matches the API device for device. Two runs are killed: one creating 100
devices over ten sites (each site record's step writes its whole site, so the kill lands between
sites), and one that removes, replaces and renames devices at every site.

Two cases. Default checkpoints, where the kill also leaves the state's ``<stack>.json.attrs`` empty:
a real kill does that now and then (it lands while the file backend rewrites that file in place, and
every command then fails with "failed to load checkpoint: EOF"); here it is made certain by emptying
the file as such a kill would have, after the lock error was seen (unless the kill already did). And PULUMI_SKIP_CHECKPOINTS=true
(state saved only at the end of a run, so the kill loses track of every device the run created: the
rerun must adopt them all).
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from typing import Any

import pytest

from pulumi_chekt.api import ChektClient
from pulumi_chekt.localserver import AdminClient, ServerConfig
from tests.e2e.conftest import device, site
from tests.e2e.harness import PulumiProject, changed_steps
from tests.e2e.interrupt import (
    BROKEN_STATE,
    Interrupted,
    Recovery,
    interrupt_up,
    pending_operations,
    recover,
    state_devices,
)
from tests.routes import WRITES, count

DEALER = 2
SITES = list(range(3, 13))
PER_SITE = 10
DEVICES = len(SITES) * PER_SITE
KILL_AT = 30  # of 100: with 100 ms per request the run is then well under way and far from done
LATENCY_MS = 100


@pytest.fixture
def server_config(server_config: ServerConfig) -> ServerConfig:
    """Ten sites; the server stores duplicates, so that a duplicate shows up as one instead of a 409."""
    relaxed = dataclasses.replace(server_config, unique_external_ids=False, unique_zones=False)
    return dataclasses.replace(relaxed, dealers={**relaxed.dealers, DEALER: SITES})


def declared(changed: bool = False) -> dict[int, dict[str, Any]]:
    """Each site's file; ``changed``: two devices removed, one re-typed (a replacement), a new device at a
    removed device's zone (hardware replacement), the others renamed."""
    files = {}
    for site_id in SITES:
        devices = [
            device(f"kill-{site_id}-{n:02d}", f"{n:03d}", name=f"Camera {n}") for n in range(1, PER_SITE + 1)
        ]
        if changed:
            devices = [dict(d, name=f"{d['name']} (renamed)") for d in devices[2:]]
            devices[0]["device_type"] = "bridge"
            devices.append(device(f"kill-{site_id}-new", "001", name="New camera"))
        files[site_id] = site(DEALER, site_id, *devices)
    return files


def write_sites(project: PulumiProject, files: dict[int, dict[str, Any]]) -> None:
    for site_id, content in files.items():
        project.write_site(f"site-{site_id}.yaml", content)


def live_devices(api: ChektClient) -> list[dict[str, Any]]:
    return [d for site_id in SITES for d in api.list_devices(DEALER, site_id)]


def interrupted_and_recovered(
    project: PulumiProject, admin: AdminClient, api: ChektClient, case: str, *, change: bool = False
) -> tuple[Interrupted, Recovery]:
    if case == "skipped-checkpoints":
        project.extra_env["PULUMI_SKIP_CHECKPOINTS"] = "true"
    write_sites(project, declared())
    if change:
        project.up()
        write_sites(project, declared(changed=True))
        writes_before = count(admin, *WRITES)
        progress = lambda: count(admin, *WRITES) - writes_before  # noqa: E731
        kill_at = len(SITES)  # about a third of the change's write requests
    else:
        progress, kill_at = (lambda: int(admin.stats()["store"]["devices"])), KILL_AT
    admin.set_faults(latency_ms=LATENCY_MS)
    interrupted = interrupt_up(project, progress, kill_at)
    admin.set_faults()  # recover at full speed
    blocked = project.run("up", "--yes", "--skip-preview", check=False)  # what a user tries first
    assert blocked.returncode != 0
    torn_by_the_kill = BROKEN_STATE in blocked.output
    if not torn_by_the_kill:
        assert "the stack is currently locked by 1 lock(s)" in blocked.output, blocked.output[-3000:]
    if case == "default-checkpoints" and not torn_by_the_kill:
        state_attrs = [p for p in (project.root / "backend").rglob("*.json.attrs") if "/stacks/" in str(p)]
        assert len(state_attrs) == 1, state_attrs
        state_attrs[0].write_bytes(b"")  # the torn write (see the module docstring)
        broken = project.run("up", "--yes", "--skip-preview", check=False)
        assert broken.returncode != 0
        assert BROKEN_STATE in broken.output, broken.output[-3000:]
    return interrupted, recover(project, lambda: {d["external_device_id"] for d in live_devices(api)})


def assert_api_equals_files_and_state(
    project: PulumiProject, api: ChektClient, *, changed: bool = False
) -> None:
    live = live_devices(api)
    per_external_id = Counter(d["external_device_id"] for d in live)
    assert [key for key, n in per_external_id.items() if n > 1] == [], "duplicates in the API"
    wanted = {d["external_device_id"]: d for f in declared(changed).values() for d in f["devices"]}
    assert set(per_external_id) == set(wanted), "API devices differ from the files (lost or orphaned)"
    for found in live:
        want = wanted[found["external_device_id"]]
        got = (found["zone_number"], found["name"], found["device_type"])
        assert got == (want["zone_number"], want["name"], want["device_type"])

    exported = json.loads(project.exported_state())
    assert pending_operations(exported) == []
    in_state = {r["outputs"]["external_device_id"]: r["id"] for r in state_devices(exported)}
    assert in_state == {d["external_device_id"]: str(d["device_id"]) for d in live}, "state != API"
    assert changed_steps(project.preview_json()) == []


@pytest.mark.parametrize("case", ["default-checkpoints", "skipped-checkpoints"])
def test_killed_up_recovers_with_nothing_duplicated_or_lost(
    project: PulumiProject, admin: AdminClient, api: ChektClient, case: str
) -> None:
    interrupted, recovery = interrupted_and_recovered(project, admin, api, case)

    assert {"engine", "program", "provider"} <= set(interrupted.killed), interrupted.killed
    assert KILL_AT <= interrupted.progress_after_kill < DEVICES, "the kill did not land mid-way"
    assert "has been canceled" in recovery.output("cancel")
    if case == "default-checkpoints":
        assert BROKEN_STATE in recovery.output("cancel (before repair)")
        assert len(recovery.repaired) == 1
    assert "pending operations" not in recovery.output("up")
    # Devices the killed run created but did not record, which the final `up` adopts: with skipped
    # checkpoints all of them; else those whose create was in flight at the kill (often a few, possibly
    # none). Each adoption is a warning on its resource, never silent.
    if case == "skipped-checkpoints":
        assert len(recovery.to_adopt) == interrupted.progress_after_kill >= KILL_AT
    for external_id in recovery.to_adopt:
        assert f"adopted existing device '{external_id}'" in recovery.output("up"), external_id
    assert_api_equals_files_and_state(project, api)


def test_a_killed_change_that_removes_and_replaces_devices_recovers(
    project: PulumiProject, admin: AdminClient, api: ChektClient
) -> None:
    interrupted, recovery = interrupted_and_recovered(project, admin, api, "default-checkpoints", change=True)
    writes_of_the_change = 4 * len(
        SITES
    )  # at most: a delete, an update and a create request per site, and more
    assert len(SITES) <= interrupted.progress_after_kill < writes_of_the_change, (
        "the kill did not land mid-way"
    )
    assert "pending operations" not in recovery.output("up")
    for external_id in recovery.to_adopt:
        assert f"adopted existing device '{external_id}'" in recovery.output("up"), external_id
    assert_api_equals_files_and_state(project, api, changed=True)
