"""Capture the fixture of the docs' example pull-request summary: a real ``pulumi preview`` of a site
with every kind of change, and what the live site held.

Run with ``make docs-fixture`` (needs the Pulumi CLI). A fresh local API server and a throwaway stack
(``tests/e2e/harness.py``) go through one story at dealer 2, site 3:

1. Four devices exist in CHeKT before the site is under git (``cam-dock``, ``cam-gate``, ``cam-stair``,
   and ``cam-spare``, which no site file will ever declare: "not in git").
2. A first site file with twelve other devices; ``pulumi up`` creates them.
3. Outside git: ``cam-front``'s zone is changed and ``cam-back`` is deleted (drift).
4. The site file is edited: ``cam-door`` becomes a bridge (replace), ``cam-lobby`` is renamed (update),
   ``cam-yard`` is new (create), and the three devices of step 1 are declared, one with another zone
   (adoptions).

It writes ``summary-preview.json`` (``pulumi preview --refresh --json --show-sames``, as the example
workflow runs it) and ``summary-live.json`` (the site's devices in CHeKT at that moment) beside this
file. ``scripts/docs/pages.py`` turns them into the summary shown in docs/pull-requests.md by running
the real ``chekt-devices summarize --live``; the fixture is re-captured only when the story changes.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.e2e.harness import PulumiProject, pulumi_bin_dir

from pulumi_chekt.api import ChektClient
from pulumi_chekt.localserver import ClientConfig, LocalServer, ServerConfig

HERE = Path(__file__).resolve().parent
PREVIEW_FIXTURE = HERE / "summary-preview.json"
LIVE_FIXTURE = HERE / "summary-live.json"
DEALER, SITE = 2, 3
CLIENT_ID, CLIENT_SECRET = "docs-client", "docs-client-secret"  # a throwaway in-process server's client


def camera(external_id: str, zone: str, **extra: Any) -> dict[str, Any]:
    return {"external_device_id": external_id, "device_type": "camera", "zone_number": zone, **extra}


ALREADY_LIVE = [
    camera("cam-dock", "012", name="Dock"),
    camera("cam-gate", "013", name="Gate"),
    camera("cam-stair", "015", name="Stairs"),
]
NOT_IN_GIT = [camera("cam-spare", "016", name="Spare")]
FIRST = [
    camera("cam-front", "006", name="Front"),
    camera("cam-back", "008", name="Back"),
    camera("cam-door", "009", name="Door"),
    camera("cam-lobby", "011", name="Lobby"),
    *(camera(f"cam-aisle-{n}", f"{20 + n:03d}", name=f"Aisle {n}") for n in range(1, 9)),
]


def edited() -> list[dict[str, Any]]:
    """The site file of the pull request."""
    changes = {"cam-door": {"device_type": "bridge"}, "cam-lobby": {"name": "Lobby (east)"}}
    devices = [{**entry, **changes.get(entry["external_device_id"], {})} for entry in FIRST]
    devices.append(camera("cam-yard", "030", name="Yard"))
    devices += [
        {**d, "zone_number": "014"} if d["external_device_id"] == "cam-dock" else d for d in ALREADY_LIVE
    ]
    return devices


def site_file(devices: list[dict[str, Any]]) -> dict[str, Any]:
    return {"dealer_id": DEALER, "site_id": SITE, "devices": devices}


def capture(bin_dir: Path, workdir: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    config = ServerConfig(clients=[ClientConfig(CLIENT_ID, CLIENT_SECRET, "adc")], dealers={DEALER: [SITE]})
    with LocalServer(config) as server:
        devices = ALREADY_LIVE + NOT_IN_GIT
        server.admin.seed([{"dealer_id": DEALER, "sites": [{"site_id": SITE, "devices": devices}]}])
        project = PulumiProject(workdir / "project", bin_dir, stack="docs")
        project.create(server.url, server.token_url, CLIENT_ID, CLIENT_SECRET)
        project.write_site("dealer-2-site-3.yaml", site_file(FIRST))
        project.up()
        with ChektClient.from_credentials(
            base_url=server.url, token_url=server.token_url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
        ) as api:
            by_id = {d["external_device_id"]: d["device_id"] for d in api.list_devices(DEALER, SITE)}
            api.update_devices(DEALER, SITE, [{"device_id": by_id["cam-front"], "zone_number": "077"}])
            api.delete_devices(DEALER, SITE, [by_id["cam-back"]])
            project.write_site("dealer-2-site-3.yaml", site_file(edited()))
            preview = project.preview_json("--refresh", "--show-sames")
            live = api.list_devices(DEALER, SITE)
    return preview, live


def main() -> int:
    bin_dir = pulumi_bin_dir()
    if bin_dir is None:
        print("the Pulumi CLI is needed: run `make docs-fixture` or set PULUMI_BIN_DIR", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="chekt-docs-") as workdir:
        preview, live = capture(bin_dir, Path(workdir))
    PREVIEW_FIXTURE.write_text(json.dumps(preview, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    LIVE_FIXTURE.write_text(json.dumps(live, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {PREVIEW_FIXTURE.relative_to(Path.cwd())} and {LIVE_FIXTURE.relative_to(Path.cwd())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
