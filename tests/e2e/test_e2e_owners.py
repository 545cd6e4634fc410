"""`chekt-devices owners` with the real Pulumi CLI: two stacks of one backend that declare one site,
and the failure mode it guards against (destroying one stack deletes the other's devices)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from pulumi_chekt.api import ChektClient
from tests.cli.conftest import run_cli
from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.e2e.conftest import device, site
from tests.e2e.harness import PulumiProject

STORE = site(2, 3, device("cam-front", "001", name="Front"), device("bridge", "010", device_type="bridge"))
WAREHOUSE = site(2, 4, device("dock-1", "101"))


def stack(root: Path, bin_dir: Path, server: Any, name: str) -> PulumiProject:
    project = PulumiProject(root, bin_dir, stack=name).create(
        server.url, server.token_url, CLIENT_ID, CLIENT_SECRET
    )
    project.run("config", "set", "--path", "chekt:sites[0]", f"sites/{name}/*.yaml", "--stack", name)
    (project.sites_dir / name).mkdir(parents=True, exist_ok=True)
    return project


def owners(project: PulumiProject, *args: str) -> Any:
    env = {k: v for k, v in project.env().items() if k != "PULUMI_CONFIG_PASSPHRASE"}  # not needed
    return run_cli("owners", "--project-dir", project.root, *args, env=env)


def test_two_stacks_claiming_one_site_fail_the_check(
    tmp_path: Path, pulumi_bin: Path, server: Any, api: ChektClient
) -> None:
    root = tmp_path / "fleet"
    east, west = stack(root, pulumi_bin, server, "east"), stack(root, pulumi_bin, server, "west")
    east.write_site("east/store.yaml", STORE)
    west.write_site("west/warehouse.yaml", WAREHOUSE)
    east.up()
    west.up()

    ok = owners(east)
    assert (ok.returncode, ok.stdout) == (0, "2 sites in 2 stacks: each site has one owner\n"), ok.stderr

    # A pull request copies the store into the west stack: caught from the files, before any `up`.
    shutil.copy(root / "sites" / "east" / "store.yaml", root / "sites" / "west" / "store.yaml")
    shared = owners(east)
    assert shared.returncode == 1
    assert shared.stdout == "dealer 2 site 3 is managed by 2 stacks: east (files, state), west (files)\n"
    assert "1 site is managed by more than one stack" in shared.stderr
    offline = run_cli("owners", "--project-dir", root, "--no-state")  # no backend at all
    assert offline.returncode == 1
    assert offline.stdout == "dealer 2 site 3 is managed by 2 stacks: east (files), west (files)\n"
    assert owners(east, "--stack", "east").returncode == 0  # one stack alone has no overlap

    # What the check prevents: west adopts the store's devices, and destroying west deletes them
    # although east still declares them (and its state still holds them).
    west.up()
    ids = {d["external_device_id"]: d["device_id"] for d in api.list_devices(2, 3)}
    assert set(ids) == {"cam-front", "bridge"}  # adopted, not duplicated
    both = owners(east)
    assert both.stdout == "dealer 2 site 3 is managed by 2 stacks: east (files, state), west (files, state)\n"
    west.destroy()
    assert api.list_devices(2, 3) == []
    east.run("up", "--refresh", "--yes", "--skip-preview")  # east re-creates them, with new device_ids
    again = {d["external_device_id"]: d["device_id"] for d in api.list_devices(2, 3)}
    assert set(again) == set(ids) and not set(again.values()) & set(ids.values())

    # Moving the site to west the documented way (forget it in east's state, move the file) keeps
    # its devices: west adopts them, and east's next `up` deletes nothing.
    (root / "sites" / "west" / "store.yaml").unlink()
    deployment = json.loads(east.run("stack", "export", "--stack", "east").stdout)
    records = [
        r["urn"]
        for r in deployment["deployment"]["resources"]
        if r["type"].endswith("chekt:Site") and (r["inputs"]["dealer_id"], r["inputs"]["site_id"]) == (2, 3)
    ]
    assert len(records) == 1
    east.run("state", "delete", "--yes", "--target-dependents", records[0])  # the record and its devices
    left = json.loads(east.run("stack", "export", "--stack", "east").stdout)["deployment"]["resources"]
    assert not [r for r in left if r["type"].endswith(("chekt:Device", "chekt:Site"))]
    shutil.move(root / "sites" / "east" / "store.yaml", root / "sites" / "west" / "store.yaml")
    east.run("config", "set", "chekt:allowNoSites", "true", "--stack", "east")  # its last site left
    east.up()
    west.up()
    assert {d["external_device_id"]: d["device_id"] for d in api.list_devices(2, 3)} == again
    assert owners(east).returncode == 0
