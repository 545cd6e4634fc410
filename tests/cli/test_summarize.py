"""`chekt-devices summarize` on preview JSON produced by the real Pulumi CLI (never written by hand)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from pulumi_chekt.api import ChektClient
from pulumi_chekt.cli.__main__ import main
from pulumi_chekt.cli.live import adoption_fields
from pulumi_chekt.cli.preview import ABSENT, SECRET, with_placeholders
from pulumi_chekt.cli.summarize import render_failure
from tests.cli.conftest import run_cli
from tests.conftest import CLIENT_SECRET
from tests.e2e.conftest import device, site
from tests.e2e.harness import PulumiProject

NOT_CHECKED = (
    "_Creates were not checked against the live sites: a device that already exists in CHeKT is "
    "adopted, not created (`chekt-devices summarize --live` tells them apart)._"
)
NOT_REFRESHED = (
    "_Not refreshed: changes made in CHeKT outside git, and devices that no site file declares, are not "
    "shown (preview with `--refresh`)._"
)
SECRET_SERIAL = "SN-TOP-SECRET-4711"
ROTATED_SERIAL = "SN-TOP-SECRET-4712"

STORE = site(
    2,
    3,
    device("cam-front", "001", name="Front"),
    device("cam-back", "004", name="Back"),
    device("bridge", "010", device_type="bridge"),
    device("gone", "020"),
)
EDITED = site(
    2,
    3,
    device("cam-front", "001", name="Front | Door `new`"),  # update; markdown-hostile characters
    device("cam-back", "004", device_type="bridge", name="Back"),  # replace
    device("bridge", "010", device_type="bridge"),  # unchanged
    device("cam-side", "030", name="Side", additional_zone_numbers=["031", "032"]),  # create
    # "gone" removed: delete
)


def summarize(preview: dict[str, Any], tmp_path: Path) -> tuple[int, str, str]:
    path = tmp_path / "preview.json"
    path.write_text(json.dumps(preview), encoding="utf-8")
    done = run_cli("summarize", path)
    return done.returncode, done.stdout, done.stderr


def ids(api: ChektClient) -> dict[str, int]:
    return {d["external_device_id"]: d["device_id"] for d in api.list_devices(2, 3)}


def test_create_update_replace_delete_and_no_changes(
    project: PulumiProject, api: ChektClient, tmp_path: Path
) -> None:
    project.write_site("store.yaml", STORE)
    project.up()
    before = ids(api)

    status, out, _ = summarize(project.preview_json("--show-sames"), tmp_path)
    assert (status, out) == (0, f"**CHeKT devices: no changes** (4 unchanged)\n{NOT_REFRESHED}\n")
    # Without --show-sames the CLI lists no unchanged step: only its resource total is known.
    status, out, _ = summarize(project.preview_json(), tmp_path)
    assert (status, out) == (0, f"**CHeKT devices: no changes** (7 resources unchanged)\n{NOT_REFRESHED}\n")

    project.write_site("store.yaml", EDITED)
    preview = project.preview_json("--show-sames")
    status, out, err = summarize(preview, tmp_path)

    assert status == 0, err
    lines = out.splitlines()
    assert lines[:3] == [
        "**CHeKT devices: 1 to create, 1 to update, 1 to replace, 1 to delete** (1 unchanged)",
        NOT_CHECKED,
        NOT_REFRESHED,
    ]
    assert "### Dealer 2, site 3: 1 to create, 1 to update, 1 to replace, 1 to delete" in lines
    rows = [line for line in lines if line.startswith(("| create", "| update", "| replace", "| delete"))]
    # Most destructive first: when a long site is cut, the safest rows are the ones left out.
    assert [row.split(" | ")[0] for row in rows] == ["| delete", "| replace", "| update", "| create"]
    delete, replace, update, create = rows
    assert create == (
        "| create | `cam-side` | device_type: `camera`<br>zone_number: `030`<br>"
        "additional_zone_numbers: `031,032`<br>name: `Side` |"
    )
    assert update == (
        f"| update | `cam-front` (device {before['cam-front']}) | name: `Front` → `` Front \\| Door `new` `` |"
    )
    assert replace == (
        f"| replace | `cam-back` (device {before['cam-back']}) | delete, then create (new device_id)<br>"
        "device_type (forces replacement): `camera` → `bridge` |"
    )
    assert (
        delete
        == f"| delete | `gone` (device {before['gone']}) | device_type: `camera`<br>zone_number: `020` |"
    )
    assert "bridge` |" not in out.replace(replace, "")  # the unchanged device gets no row
    assert "Stack" not in out and "SiteDevices" not in out
    assert CLIENT_SECRET not in out

    piped = run_cli("summarize", stdin=json.dumps(preview))
    assert (piped.returncode, piped.stdout) == (0, out)

    # A preview that fails (a zone written as a bare number) still yields a comment, and exit 1.
    (project.sites_dir / "store.yaml").write_text(
        "dealer_id: 2\nsite_id: 3\ndevices:\n  - external_device_id: x\n    device_type: camera\n"
        "    zone_number: 001\n",
        encoding="utf-8",
    )
    failed = project.preview_json(check=False)
    status, out, err = summarize(failed, tmp_path)
    assert status == 1
    assert out.startswith("**CHeKT devices: preview failed**")
    assert "sites/store.yaml:6: /devices/0/zone_number: 1 is not of type 'string'" in out
    assert "the preview failed" in err


SECRET_PROGRAM = """\
import pulumi
from pulumi.dynamic import Resource

from pulumi_chekt.program import main
from pulumi_chekt.resources import DeviceProvider


class CodeDevice(Resource, module="chekt", name="Device"):
    # The Device type, declared in code with a secret input (DeviceArgs deep-copies its values).
    def __init__(self, name, props):
        super().__init__(DeviceProvider(), name, props)


main()
CodeDevice(
    "2/4/cam-code",
    {
        "dealer_id": 2,
        "site_id": 4,
        "external_device_id": "cam-code",
        "device_type": "camera",
        "zone_number": "050",
        "serial_number": pulumi.Config().require_secret("serial"),
    },
)
"""


def test_secrets_are_shown_only_as_placeholders(project: PulumiProject, tmp_path: Path) -> None:
    (project.root / "__main__.py").write_text(SECRET_PROGRAM, encoding="utf-8")
    project.run("config", "set", "--secret", "serial", SECRET_SERIAL)
    project.write_site("store.yaml", site(2, 3, device("cam-front", "001")))

    preview = project.preview_json()
    assert "[secret]" in json.dumps(preview)
    status, out, _ = summarize(preview, tmp_path)
    assert status == 0
    assert (
        out.splitlines()[0]
        == "**CHeKT devices: 2 to create, 0 to update, 0 to replace, 0 to delete** (0 unchanged)"
    )
    assert out.index("### Dealer 2, site 3") < out.index("### Dealer 2, site 4")
    assert (
        "| create | `cam-code` | device_type: `camera`<br>zone_number: `050`<br>serial_number: `[secret]` |"
        in out
    )

    project.up()
    project.run("config", "set", "--secret", "serial", ROTATED_SERIAL)
    status, out, _ = summarize(project.preview_json(), tmp_path)
    assert status == 0
    assert out.splitlines()[0].startswith("**CHeKT devices: 0 to create, 1 to update,")
    # A secret cannot be compared, so the field is listed, but only as placeholders.
    assert "| update | `cam-code` (device " in out
    assert "serial_number: `[secret]` → `[secret]` |" in out
    for secret in (SECRET_SERIAL, ROTATED_SERIAL, CLIENT_SECRET, "SN-TOP"):
        assert secret not in out


def test_with_placeholders_hides_pulumi_secret_envelopes_at_any_depth() -> None:
    envelope = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": "hunter2"}
    assert with_placeholders(envelope) is SECRET
    assert with_placeholders({"a": [envelope, "[secret]", "plain"]}) == {"a": [SECRET, SECRET, "plain"]}


@pytest.mark.parametrize("text", ["", "not json", "[1, 2]", '{"config": {}}'])
def test_input_that_is_not_a_preview(text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "preview.json"
    path.write_text(text, encoding="utf-8")
    assert main(["summarize", str(path)]) == 1
    out, err = capsys.readouterr()
    assert out.startswith("**CHeKT devices: preview failed**")
    assert err.startswith("chekt-devices: error: could not read the preview output")
    assert main(["summarize", str(tmp_path / "missing.json")]) == 1


def test_an_adoption_never_shows_the_live_value_of_a_secret_field() -> None:
    live = {"device_type": "camera", "zone_number": "001", "serial_number": "SN-LIVE-SECRET", "name": "Old"}
    desired = {"device_type": "camera", "zone_number": "001", "serial_number": SECRET, "name": " New "}
    found = {f.name: (f.old, f.new) for f in adoption_fields(live, desired)}
    assert found == {"serial_number": (SECRET, SECRET), "name": ("Old", "New")}
    unset_live = adoption_fields({**live, "serial_number": None}, {**desired, "serial_number": "x"})
    assert [(f.name, f.old, f.new) for f in unset_live][-1] == ("serial_number", ABSENT, "x")


def test_a_failed_preview_shows_each_error_once_and_within_the_budget() -> None:
    errors = ["E" * 10_000, "same error", "same error", *[f"error {n}: " + "x" * 900 for n in range(200)]]
    out = render_failure(errors, max_chars=20_000)
    assert len(out) <= 20_000
    assert out.startswith("**CHeKT devices: preview failed** (203 errors)")
    assert f"{'E' * 4_000}\n… (6000 more characters, see the job log)" in out
    assert out.count("same error") == 1 and "(reported 2 times)" in out
    assert re.search(r"_… and \d+ more errors \(see the job log\)\._\n$", out)
