"""Devices that no site file declares, as a reviewer and `pulumi up` meet them (real CLI, local API):
named in the refreshed summary, deleted by `prune: true` and by nothing else, and in the way of a
create, which `summarize --live`, the preview and `up` all name."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pulumi_chekt.api import ChektClient
from tests.cli.conftest import cli_env, run_cli  # noqa: F401 (cli_env: a fixture)
from tests.e2e.conftest import device, site
from tests.e2e.harness import PulumiProject
from tests.routes import LIST, WRITES, count

STORE = [device("cam-a", "001"), device("cam-b", "002")]


def summarize(preview: dict[str, Any], tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> str:
    path = tmp_path / "preview.json"
    path.write_text(json.dumps(preview), encoding="utf-8")
    done = run_cli("summarize", *args, path, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def live(api: ChektClient, dealer_id: int = 2, site_id: int = 3) -> dict[str, dict[str, Any]]:
    return {d["external_device_id"]: d for d in api.list_devices(dealer_id, site_id)}


def test_an_undeclared_device_is_named_then_pruned_and_nothing_else(
    project: PulumiProject, api: ChektClient, tmp_path: Path
) -> None:
    project.write_site("store.yaml", site(2, 3, *STORE))
    project.up()
    api.create_devices(2, 3, [device("stray", "007")])
    api.create_devices(2, 4, [device("other", "001")])  # site 4: no file declares it
    before, elsewhere = live(api), live(api, 2, 4)

    out = summarize(project.preview_json("--refresh", "--show-sames"), tmp_path)
    lines = out.splitlines()
    assert lines[0] == "**CHeKT devices: no changes** (2 unchanged)"
    assert lines[2].startswith("**Not in git: 1 device** in CHeKT that no site file declares")
    assert f"| 2/3 | `stray` (device {before['stray']['device_id']}) | `007` | `camera` |" in lines
    assert "other" not in out

    project.write_site("store.yaml", site(2, 3, *STORE, prune=True))
    out = summarize(project.preview_json("--refresh", "--show-sames"), tmp_path)
    lines = out.splitlines()
    assert lines[0] == (
        "**CHeKT devices: 0 to create, 0 to update, 0 to replace, 0 to delete, 1 to prune** (2 unchanged)"
    )
    assert [line for line in lines if line.startswith("| prune")] == [
        f"| prune | `stray` (device {before['stray']['device_id']}) | in CHeKT, in no site file: "
        "`pulumi up` deletes it (`prune: true`)<br>device_type: `camera`<br>zone_number: `007` |"
    ]
    assert "### Not in git" not in lines

    project.up()
    after = live(api)
    assert {k: v["device_id"] for k, v in after.items()} == {
        k: before[k]["device_id"] for k in ("cam-a", "cam-b")
    }
    assert live(api, 2, 4) == elsewhere  # a site no file declares is never touched
    project.run("preview", "--refresh", "--expect-no-changes")


def test_a_create_into_a_zone_held_by_an_undeclared_device_fails_alone(
    project: PulumiProject,
    api: ChektClient,
    admin: Any,
    cli_env: dict[str, str],  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    project.write_site("store.yaml", site(2, 3, STORE[0]))
    project.up()
    api.create_devices(2, 3, [device("stray", "007")])
    stray = live(api)["stray"]["device_id"]
    project.write_site("store.yaml", site(2, 3, STORE[0], device("cam-c", "007"), device("cam-d", "008")))
    held = f"zone_number '007' is already used by device 'stray' (device_id {stray}), which no site file declares"

    preview = project.preview_json("--refresh", "--show-sames")
    warnings = [d["message"] for d in preview["diagnostics"] if d.get("severity") == "warning"]
    assert any(
        "device 'cam-c' will fail: zone_number '007' is already used by device 'stray'" in w for w in warnings
    )

    lists, writes = count(admin, LIST), count(admin, *WRITES)
    out = summarize(preview, tmp_path, "--live", env=cli_env)
    assert count(admin, LIST) - lists == 1 and count(admin, *WRITES) == writes
    markdown = held.replace("_", "\\_").replace("(", "\\(").replace(")", "\\)")
    [create] = [line for line in out.splitlines() if line.startswith("| create | `cam-c` |")]
    assert f"⚠ \\`pulumi up\\` will fail: {markdown}" in create
    assert f"_⚠ dealer 2, site 3, device 'cam-c': \\`pulumi up\\` will fail: {markdown}" in out

    up = project.run("up", "--yes", "--skip-preview", check=False)
    assert up.returncode != 0
    assert f"create of device 'cam-c' failed: {held}" in up.output
    now = live(api)
    assert set(now) == {"cam-a", "cam-d", "stray"}  # the others are written, the holder untouched
    assert now["stray"]["device_id"] == stray and now["cam-d"]["zone_number"] == "008"
