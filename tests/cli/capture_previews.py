"""Capture the preview fixtures of ``tests/cli/test_site_sets_summary.py`` from the real Pulumi CLI.

Run ``PULUMI_BIN_DIR=... python -m tests.cli.capture_previews`` when the story below (or the JSON the
CLI writes) changes; the tests read the files in ``tests/cli/previews/`` and never run Pulumi. Each
preview is trimmed to what ``summarize`` reads (steps' op, urn, states' type, id, inputs and outputs,
replace reasons; diagnostics; the change summary), so no local path is committed.

The story, on a fresh local API server (dealer 2, sites 3, 4 and 5):

1. ``sites/store.yaml`` declares dealer 2, site 3: ``cam-a`` (001), ``cam-b`` (002), ``keep`` (003);
   ``pulumi up`` creates them.
2. Outside git, at site 3: ``stray-1`` (camera, 007), ``stray-2`` (bridge, 008) and ``adoptee``
   (camera, 009) are created; at site 4, which no file declares, ``other`` (001).
3. ``unchanged*.json``: previews of the unchanged files, with ``--refresh --show-sames``, with
   ``--refresh`` only, and with ``--show-sames`` only.
4. The pull request: ``cam-b`` moves to 008 (held by ``stray-2``), ``cam-c`` is new at 007 (held by
   ``stray-1``), ``adoptee`` is declared (an adoption), ``cam-d`` is new at 010, and a new file
   declares site 5 (``cam-e``, 001). ``change.json`` (``--refresh --show-sames``) and
   ``change-live.json`` (site 3 in CHeKT at that moment).
5. The same with ``prune: true`` in ``store.yaml``: ``change-prune.json`` (``--refresh --show-sames``)
   and ``change-prune-unrefreshed.json`` (``--show-sames`` only).
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pulumi_chekt.api import ChektClient
from pulumi_chekt.localserver import ClientConfig, LocalServer, ServerConfig
from tests.e2e.harness import PulumiProject, pulumi_bin_dir

HERE = Path(__file__).resolve().parent / "previews"
CLIENT_ID, CLIENT_SECRET = "capture-client", "capture-client-secret"  # a throwaway in-process server's
STATE_KEYS = ("type", "id", "inputs", "outputs")
STEP_KEYS = ("op", "urn", "replaceReasons", "diffReasons")


def camera(external_id: str, zone: str, **extra: Any) -> dict[str, Any]:
    return {"external_device_id": external_id, "device_type": "camera", "zone_number": zone, **extra}


STORE = [camera("cam-a", "001"), camera("cam-b", "002"), camera("keep", "003", name="Keep")]
STRAYS = [
    camera("stray-1", "007"),
    {**camera("stray-2", "008"), "device_type": "bridge"},
    camera("adoptee", "009", name="Adoptee"),
]
CHANGED = [
    camera("cam-a", "001"),
    camera("cam-b", "008"),
    camera("keep", "003", name="Keep"),
    camera("cam-c", "007"),
    camera("adoptee", "009", name="Adoptee"),
    camera("cam-d", "010"),
]


def trimmed(document: Mapping[str, Any]) -> dict[str, Any]:
    """What summarize reads of a preview: no stack traces, source positions or timestamps."""

    def state(value: Any) -> Any:
        return {k: value[k] for k in STATE_KEYS if k in value} if isinstance(value, Mapping) else value

    steps = [
        {
            **{k: step[k] for k in STEP_KEYS if k in step},
            **{k: state(step[k]) for k in ("oldState", "newState") if k in step},
        }
        for step in document.get("steps", [])
    ]
    return {
        "steps": steps,
        "diagnostics": document.get("diagnostics", []),
        "changeSummary": document.get("changeSummary", {}),
    }


def capture(bin_dir: Path, workdir: Path) -> dict[str, Any]:
    config = ServerConfig(clients=[ClientConfig(CLIENT_ID, CLIENT_SECRET, "adc")], dealers={2: [3, 4, 5]})
    found: dict[str, Any] = {}
    with LocalServer(config) as server:
        project = PulumiProject(workdir / "project", bin_dir, stack="capture")
        project.create(server.url, server.token_url, CLIENT_ID, CLIENT_SECRET)
        project.write_site("store.yaml", {"dealer_id": 2, "site_id": 3, "devices": STORE})
        project.up()
        with ChektClient.from_credentials(
            base_url=server.url, token_url=server.token_url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
        ) as api:
            api.create_devices(2, 3, STRAYS)
            api.create_devices(2, 4, [camera("other", "001")])
            found["unchanged"] = project.preview_json("--refresh", "--show-sames")
            found["unchanged-no-sames"] = project.preview_json("--refresh")
            found["unchanged-unrefreshed"] = project.preview_json("--show-sames")
            project.write_site("store.yaml", {"dealer_id": 2, "site_id": 3, "devices": CHANGED})
            project.write_site(
                "new.yaml", {"dealer_id": 2, "site_id": 5, "devices": [camera("cam-e", "001")]}
            )
            found["change"] = project.preview_json("--refresh", "--show-sames")
            found["change-live"] = api.list_devices(2, 3)
            project.write_site(
                "store.yaml", {"dealer_id": 2, "site_id": 3, "prune": True, "devices": CHANGED}
            )
            found["change-prune"] = project.preview_json("--refresh", "--show-sames")
            found["change-prune-unrefreshed"] = project.preview_json("--show-sames")
    return {name: value if name.endswith("-live") else trimmed(value) for name, value in found.items()}


def main() -> int:
    bin_dir = pulumi_bin_dir()
    if bin_dir is None:
        print("the Pulumi CLI is needed: set PULUMI_BIN_DIR", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="chekt-previews-") as workdir:
        found = capture(bin_dir, Path(workdir))
    HERE.mkdir(exist_ok=True)
    for name, value in found.items():
        (HERE / f"{name}.json").write_text(
            json.dumps(value, indent=1, sort_keys=True) + "\n", encoding="utf-8"
        )
    print(f"wrote {len(found)} files to {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
