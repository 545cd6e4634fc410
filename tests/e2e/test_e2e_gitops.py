"""The pull-request loop as a reviewer sees it, with the real Pulumi CLI and `chekt-devices`:
adoption (`summarize --live`), drift (`preview --refresh`), and a fleet-sized change set."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from pulumi_chekt.api import ChektClient
from pulumi_chekt.localserver import ClientConfig, ServerConfig
from tests.cli.conftest import cli_env, run_cli  # noqa: F401 (cli_env: a fixture)
from tests.conftest import CLIENT_ID, CLIENT_SECRET
from tests.e2e import harness
from tests.e2e.conftest import device, site
from tests.e2e.harness import PulumiProject, changed_steps
from tests.routes import LIST, WRITES, count


@pytest.fixture
def server_config() -> ServerConfig:
    """The shared clients, and dealer 2 with sites 1 to 20 (the fleet test uses them all)."""
    return ServerConfig(
        clients=[ClientConfig(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, partner="adc")],
        dealers={2: list(range(1, 21))},
    )


SEEDED = [
    {"external_device_id": "cam-front", "device_type": "camera", "zone_number": "001", "name": "Front"},
    {"external_device_id": "cam-back", "device_type": "camera", "zone_number": "004", "name": "Back"},
    {"external_device_id": "bridge", "device_type": "bridge", "zone_number": "010"},
    {
        "external_device_id": "cam-side",
        "device_type": "camera",
        "zone_number": "020",
        "mac": "00:1A:2B:3C:4D:5E",
    },
]


def summarize(preview: dict[str, Any], tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    path = tmp_path / "preview.json"
    path.write_text(json.dumps(preview), encoding="utf-8")
    return run_cli("summarize", *args, path, env=env)


def rows(out: str, action: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith(f"| {action} |")]


def live(api: ChektClient, dealer_id: int = 2, site_id: int = 3) -> dict[str, dict[str, Any]]:
    return {d["external_device_id"]: d for d in api.list_devices(dealer_id, site_id)}


def test_an_exported_site_is_reviewed_as_adoption_with_live(
    project: PulumiProject,
    api: ChektClient,
    admin: Any,
    cli_env: dict[str, str],  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    admin.seed([{"dealer_id": 2, "sites": [{"site_id": 3, "devices": SEEDED}]}])
    exported = run_cli(
        "export", "--dealer", "2", "--site", "3", "--out", project.sites_dir / "store.yaml", env=cli_env
    )
    assert exported.returncode == 0, exported.stderr
    preview = project.preview_json("--refresh", "--show-sames")

    lists = count(admin, LIST)
    done = summarize(preview, tmp_path, "--live", env=cli_env)
    assert done.returncode == 0, done.stderr
    assert count(admin, LIST) - lists == 1  # one list call for the one site with creates
    lines = done.stdout.splitlines()
    assert (
        lines[0]
        == "**CHeKT devices: 0 to create, 4 to adopt, 0 to update, 0 to replace, 0 to delete** (0 unchanged)"
    )
    assert "### Dealer 2, site 3: 4 to adopt" in lines
    ids = {k: v["device_id"] for k, v in live(api).items()}
    assert sorted(rows(done.stdout, "adopt")) == sorted(
        f"| adopt | `{name}` (device {ids[name]}) | _no field changes_ |" for name in ids
    )
    assert "Creates were not checked" not in done.stdout
    (tmp_path / "summary-adopt.md").write_text(done.stdout, encoding="utf-8")  # kept for reading
    assert CLIENT_SECRET not in done.stdout + done.stderr

    # Without --live the same preview says what it could not check.
    unchecked = summarize(preview, tmp_path)
    assert unchecked.stdout.splitlines()[0].startswith("**CHeKT devices: 4 to create, 0 to update,")
    assert "_Creates were not checked against the live sites" in unchecked.stdout

    # An edited export: the adoption shows the live values it will change, and a type mismatch warns.
    document = yaml.safe_load((project.sites_dir / "store.yaml").read_text(encoding="utf-8"))
    by_id = {d["external_device_id"]: d for d in document["devices"]}
    by_id["cam-front"]["zone_number"] = "006"
    by_id["bridge"]["device_type"] = "camera"
    document["devices"].append(device("cam-new", "030"))
    project.write_site("store.yaml", document)
    done = summarize(project.preview_json("--refresh"), tmp_path, "--live", env=cli_env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith("**CHeKT devices: 1 to create, 4 to adopt, 0 to update,")
    assert f"| adopt | `cam-front` (device {ids['cam-front']}) | zone_number: `001` → `006` |" in done.stdout
    [bridge] = [row for row in rows(done.stdout, "adopt") if "`bridge`" in row]
    assert "⚠ exists live as a bridge at zone 010, not a camera: \\`pulumi up\\` will fail" in bridge
    assert "_⚠ dealer 2, site 3, device 'bridge': exists live as a bridge at zone 010, not a camera:" in (
        done.stdout
    )  # named above the tables too: a long site's rows may be cut
    assert rows(done.stdout, "create") == [
        "| create | `cam-new` | device_type: `camera`<br>zone_number: `030` |"
    ]

    # The API refusing the live check still yields a comment, and exit 1.
    broken = summarize(
        preview, tmp_path, "--live", env={**cli_env, "CHEKT_CLIENT_SECRET": "wrong-secret-value"}
    )
    assert broken.returncode == 1
    assert broken.stdout.startswith("**CHeKT devices: 4 to create,")
    assert "_⚠ creates could not be checked against the live sites:" in broken.stdout
    assert "wrong-secret-value" not in broken.stdout + broken.stderr


STORE = site(
    2,
    3,
    device("cam-front", "006", name="Front"),
    device("cam-back", "004", name="Back"),
    device("bridge", "010", device_type="bridge"),
)


def test_drift_is_its_own_section_and_up_refresh_restores_it(
    project: PulumiProject, api: ChektClient, admin: Any, tmp_path: Path
) -> None:
    project.write_site("store.yaml", STORE)
    project.up()
    before = live(api)
    api.update_devices(2, 3, [{"device_id": before["cam-front"]["device_id"], "zone_number": "077"}])
    api.delete_devices(2, 3, [before["cam-back"]["device_id"]])

    # As the scheduled drift check runs it: it fails, and its JSON still yields the summary.
    check = project.run("preview", "--refresh", "--expect-no-changes", "--json", check=False)
    assert check.returncode != 0
    for preview in (project.preview_json("--refresh", "--show-sames"), json.loads(check.stdout)):
        # The unchanged count is exact with or without --show-sames.
        done = summarize(preview, tmp_path)
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert lines[:2] == [
            "**CHeKT devices: no changes from the files** (1 unchanged)",
            "**Drift: 1 device changed outside git, 1 device deleted outside git**: "
            "`pulumi up` puts them back as the files say.",
        ]
        table = [line for line in lines if line.startswith("| 2/3 |")]
        assert table == [
            f"| 2/3 | `cam-back` (device {before['cam-back']['device_id']}) | "
            "deleted outside git: re-created from the file (new device_id) |",
            f"| 2/3 | `cam-front` (device {before['cam-front']['device_id']}) | "
            "changed outside git: zone_number `077` → `006` (file) |",
        ]
        assert "### Changed outside git" in lines
        (tmp_path / "summary-drift.md").write_text(done.stdout, encoding="utf-8")
        assert "refresh" not in done.stdout and "### Dealer" not in done.stdout

    # Without --refresh the preview cannot see the drift, and the summary says so.
    blind = summarize(project.preview_json("--show-sames"), tmp_path)
    assert blind.stdout.startswith("**CHeKT devices: no changes** (3 unchanged)\n_Not refreshed:")

    project.run("up", "--refresh", "--yes", "--skip-preview")
    now = live(api)
    assert now["cam-front"]["zone_number"] == "006"
    assert now["cam-back"]["zone_number"] == "004"
    assert now["cam-back"]["device_id"] != before["cam-back"]["device_id"]

    writes = count(admin, *WRITES)
    project.run("preview", "--refresh", "--expect-no-changes")  # the drift check of the scheduled workflow
    clean = summarize(project.preview_json("--refresh"), tmp_path)
    assert clean.stdout == (
        "**CHeKT devices: no changes** (3 unchanged)\n"
        "_No drift: every live device is as the last `pulumi up` left it._\n"
        "_Devices that no site file declares were not checked at dealer 2, site 3 (unchanged, and the "
        "preview has no `--show-sames`)._\n"
    )
    assert count(admin, *WRITES) == writes

    # A file change and drift on one device: one update row, the drifted field marked.
    api.update_devices(2, 3, [{"device_id": now["cam-front"]["device_id"], "name": "Renamed by hand"}])
    edited = site(2, 3, device("cam-front", "007", name="Front"), *STORE["devices"][1:])
    project.write_site("store.yaml", edited)
    mixed = summarize(project.preview_json("--refresh"), tmp_path)
    [update] = rows(mixed.stdout, "update")
    assert "zone_number: `006` → `007`<br>name: `Renamed by hand` → `Front` (changed outside git)" in update
    assert "**Drift: 1 device changed outside git**" in mixed.stdout
    [drifted] = [line for line in mixed.stdout.splitlines() if line.startswith("| 2/3 |")]
    assert drifted.endswith("| changed outside git: name `Renamed by hand` → `Front` (file) |")


SITES = 20


def fleet(changed: bool) -> list[dict[str, Any]]:
    """20 sites of 5 devices; the change renames 2, retypes 1, removes 1 and adds 46 per site."""
    sites = []
    for site_id in range(1, SITES + 1):
        devices = [device(f"cam-{n:03d}", f"{n:03d}", name=f"Camera {n}") for n in range(1, 6)]
        if changed:
            for entry in devices[:2]:
                entry["name"] += " (moved)"
            devices[2]["device_type"] = "bridge"
            devices = devices[:4]  # cam-005 deleted
            devices += [
                device(f"new-{n:03d}", f"{100 + n:03d}", name=f"New camera {n} with a long descriptive name")
                for n in range(1, 47)
            ]
        sites.append(site(2, site_id, *devices))
    return sites


@pytest.mark.timeout(1_800)  # a thousand-device preview: about a minute, far more on a loaded machine
def test_a_fleet_sized_change_set_fits_in_one_comment(
    project: PulumiProject, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(harness, "CLI_TIMEOUT_SECONDS", 1_500)
    for entry in fleet(changed=False):
        project.write_site(f"site-{entry['site_id']:02d}.yaml", entry)
    project.up()
    for entry in fleet(changed=True):  # per site 46 + 2 + 1 + 1 changes: 1,000 in all
        project.write_site(f"site-{entry['site_id']:02d}.yaml", entry)
    preview = project.preview_json("--refresh")
    assert len(changed_steps(preview)) >= 1_000

    full = tmp_path / "full.md"
    done = summarize(preview, tmp_path, "--full", str(full))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert len(out) < 60_000
    lines = out.splitlines()
    assert lines[:2] == [
        "**CHeKT devices: 920 to create, 40 to update, 20 to replace, 20 to delete** (20 unchanged)",
        "_No drift: every live device is as the last `pulumi up` left it._",
    ]
    headings = [line for line in lines if line.startswith("### Dealer 2, site ")]
    assert len(headings) == SITES
    assert all(h.endswith(": 46 to create, 2 to update, 1 to replace, 1 to delete") for h in headings)
    shown = sum(1 for line in lines if re.match(r"\| (create|update|replace|delete) \|", line))
    more = [int(m[1]) for line in lines if (m := re.match(r"_… and (\d+) more \(see the job log\)\._", line))]
    assert shown + sum(more) == 1_000 and len(more) == SITES
    assert len(rows(out, "delete")) == 20 and len(rows(out, "replace")) == 20  # destructive rows all shown

    whole = full.read_text(encoding="utf-8")
    assert whole.splitlines()[0] == lines[0]
    assert (
        sum(1 for line in whole.splitlines() if re.match(r"\| (create|update|replace|delete) \|", line))
        == 1_000
    )
    assert "see the job log" not in whole
    (tmp_path / "summary-fleet.md").write_text(out, encoding="utf-8")


def test_a_huge_failed_preview_yields_a_capped_comment(project: PulumiProject, tmp_path: Path) -> None:
    bad = [
        {"external_device_id": f"cam-{n}", "device_type": "camera", "zone_number": n} for n in range(1, 2_000)
    ]
    for index in range(1, 6):
        project.write_site(f"bad-{index}.yaml", {"dealer_id": 2, "site_id": index, "devices": bad})
    failed = project.preview_json(check=False)
    assert len(json.dumps(failed)) > 300_000
    done = summarize(failed, tmp_path)
    assert done.returncode == 1
    assert len(done.stdout) < 60_000
    assert done.stdout.startswith("**CHeKT devices: preview failed**")
    assert "sites/bad-1.yaml:6: /devices/0/zone_number: 1 is not of type 'string'" in done.stdout
    assert re.search(r"… \(\d+ more characters, see the job log\)", done.stdout)
