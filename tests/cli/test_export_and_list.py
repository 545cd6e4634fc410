"""`chekt-devices export` and `list` against the local API server; export adopted by the real `pulumi up`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from pulumi_chekt.api import ChektClient
from pulumi_chekt.cli.export import site_device_fields
from tests.cli.conftest import run_cli
from tests.conftest import CLIENT_SECRET
from tests.e2e.harness import PulumiProject, changed_steps
from tests.routes import CREATE, UPDATE

LIVE_DEVICES = [
    {
        "external_device_id": "wh-dock-1",
        "device_type": "camera",
        "zone_number": "101",
        "additional_zone_numbers": "102,103",
        "name": "Loading Dock 1 ",  # trailing space: normalized away, the same way the provider compares
        "manufacturer": "Hanwha",
        "model": "XNO-6080R",
        "serial_number": "SN-1",
        "mac": "00:1A:2B:3C:4D:5E",
    },
    {"external_device_id": "wh-bridge", "device_type": "bridge", "zone_number": "007", "name": "Café Bridge"},
    {"external_device_id": "cam-sci", "device_type": "camera", "zone_number": "1e3"},  # not a float
    {"external_device_id": "a-first", "device_type": "camera", "zone_number": "200", "model": ""},
]


def seed(admin: Any, dealer_id: int = 2, site_id: int = 3) -> None:
    admin.seed([{"dealer_id": dealer_id, "sites": [{"site_id": site_id, "devices": LIVE_DEVICES}]}])


def expected_entry(device: dict[str, Any]) -> dict[str, Any]:
    """What a site file should declare for a live device: its set input fields, whitespace trimmed."""
    entry = {}
    for key in site_device_fields():
        value = device.get(key)
        if isinstance(value, str):
            value = value.strip()
        if value not in (None, ""):
            entry[key] = value
    return entry


def no_secret(*texts: str) -> None:
    for text in texts:
        assert CLIENT_SECRET not in text


def test_export_validates_and_is_adopted_by_pulumi_up_without_any_write(
    project: PulumiProject, api: ChektClient, admin: Any, cli_env: dict[str, str]
) -> None:
    seed(admin)
    live = api.list_devices(2, 3)
    ids = {d["external_device_id"]: d["device_id"] for d in live}
    out = project.sites_dir / "dealer-2-site-3.yaml"

    done = run_cli("export", "--dealer", "2", "--site", "3", "--out", out, env=cli_env)

    assert done.returncode == 0, done.stderr
    schema_copy = project.root / "schemas" / "site.schema.json"
    assert done.stderr.splitlines() == [
        f"wrote {out}: 4 devices",
        f"note: its $schema comment points at {schema_copy}, which does not exist yet; for editor "
        f"completion write it with `chekt-devices schema > {schema_copy}`",
    ]
    no_secret(done.stdout, done.stderr)
    text = out.read_text(encoding="utf-8")
    first = text.splitlines()[0]
    # The project's own copy, by a path relative to the file: the same on every machine.
    assert first == "# yaml-language-server: $schema=../schemas/site.schema.json"
    assert 'zone_number: "007"' in text and 'zone_number: "1e3"' in text
    assert 'additional_zone_numbers: "102,103"' in text

    document = yaml.safe_load(text)
    assert list(document) == ["dealer_id", "site_id", "devices"]
    assert (document["dealer_id"], document["site_id"]) == (2, 3)
    exported = document["devices"]
    assert [d["external_device_id"] for d in exported] == ["a-first", "cam-sci", "wh-bridge", "wh-dock-1"]
    by_id = {d["external_device_id"]: d for d in live}
    assert exported == [expected_entry(by_id[d["external_device_id"]]) for d in exported]
    assert "model" not in exported[0]  # empty on the API: omitted, as are the null fields
    assert "device_id" not in exported[0] and "registered_by_partner" not in exported[0]

    valid = run_cli("validate", out)
    assert valid.returncode == 0, valid.stdout + valid.stderr

    before = admin.stats()["requests"]
    project.up()
    after = admin.stats()["requests"]
    assert after.get(CREATE, 0) == before.get(CREATE, 0)  # adopted, not created
    assert after.get(UPDATE, 0) == before.get(UPDATE, 0)  # and nothing needed converging
    assert {d["external_device_id"]: d["device_id"] for d in api.list_devices(2, 3)} == ids

    preview = project.preview_json()
    assert changed_steps(preview) == []
    summary = run_cli("summarize", stdin=json.dumps(preview))
    assert summary.returncode == 0
    assert summary.stdout.startswith("**CHeKT devices: no changes**")


def test_export_to_stdout_and_refusing_to_overwrite(
    tmp_path: Path, admin: Any, cli_env: dict[str, str]
) -> None:
    seed(admin, 5, 6)
    printed = run_cli(
        "export", "--dealer", "5", "--site", "6", "--schema-ref", "site.schema.json", env=cli_env
    )
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.startswith("# yaml-language-server: $schema=site.schema.json\n")
    assert len(yaml.safe_load(printed.stdout)["devices"]) == 4

    out = tmp_path / "site.yaml"
    out.write_text("# mine\n", encoding="utf-8")
    refused = run_cli("export", "--dealer", "5", "--site", "6", "--out", out, env=cli_env)
    assert refused.returncode == 1
    assert refused.stderr.strip() == f"chekt-devices: error: {out} exists; pass --force to overwrite it"
    assert out.read_text(encoding="utf-8") == "# mine\n"

    forced = run_cli("export", "--dealer", "5", "--site", "6", "--out", out, "--force", env=cli_env)
    assert forced.returncode == 0, forced.stderr
    assert yaml.safe_load(out.read_text(encoding="utf-8"))["site_id"] == 6
    assert [p.name for p in tmp_path.iterdir()] == ["site.yaml"]  # no temporary file left behind


def test_an_empty_site_exports_as_a_valid_file(tmp_path: Path, server: Any, cli_env: dict[str, str]) -> None:
    out = tmp_path / "empty.yaml"
    assert run_cli("export", "--dealer", "7", "--site", "8", "--out", out, env=cli_env).returncode == 0
    assert yaml.safe_load(out.read_text(encoding="utf-8"))["devices"] == []
    assert run_cli("validate", out).returncode == 0


def test_api_and_credential_errors_are_one_line_without_secrets(
    tmp_path: Path, server: Any, cli_env: dict[str, str]
) -> None:
    out = tmp_path / "x.yaml"
    unknown_site = run_cli("export", "--dealer", "2", "--site", "99", "--out", out, env=cli_env)
    assert unknown_site.returncode == 1
    assert unknown_site.stdout == ""
    [line] = unknown_site.stderr.splitlines()
    assert line.startswith("chekt-devices: error: GET /partner/v1/dealers/2/sites/99/devices -> 404")
    assert not out.exists()

    wrong_secret = run_cli(
        "list", "--dealer", "2", "--site", "3", env={**cli_env, "CHEKT_CLIENT_SECRET": "nope-x"}
    )
    assert wrong_secret.returncode == 1
    [line] = wrong_secret.stderr.splitlines()
    assert line.startswith("chekt-devices: error: ") and "nope-x" not in line

    no_credentials = {k: v for k, v in cli_env.items() if k not in ("CHEKT_CLIENT_ID", "CHEKT_CLIENT_SECRET")}
    missing = run_cli("list", "--dealer", "2", "--site", "3", env=no_credentials)
    assert missing.returncode == 1
    [line] = missing.stderr.splitlines()
    assert "no CHeKT credentials" in line

    plain_http = run_cli(
        "list", "--dealer", "2", "--site", "3", "--base-url", "http://example.com", env=cli_env
    )
    assert plain_http.returncode == 1
    assert "only https:// is allowed" in plain_http.stderr

    for result in (unknown_site, wrong_secret, missing, plain_http):
        no_secret(result.stdout, result.stderr)
        assert "Traceback" not in result.stderr


def test_secrets_are_not_accepted_as_flags(cli_env: dict[str, str]) -> None:
    for flag in ("--client-secret", "--api-token", "--client-id"):
        done = run_cli("list", "--dealer", "2", "--site", "3", flag, "value", env=cli_env)
        assert done.returncode == 2
        assert "unrecognized arguments" in done.stderr
    bad_id = run_cli("export", "--dealer", "0", "--site", "3", env=cli_env)
    assert bad_id.returncode == 2
    assert "must be a positive integer" in bad_id.stderr


def test_list_prints_a_table_and_json(
    api: ChektClient, admin: Any, server: Any, cli_env: dict[str, str]
) -> None:
    seed(admin)
    live = {d["external_device_id"]: d for d in api.list_devices(2, 3)}

    table = run_cli("list", "--dealer", "2", "--site", "3", env=cli_env)
    assert table.returncode == 0, table.stderr
    header, *rows = table.stdout.splitlines()
    assert header.split() == ["DEVICE_ID", "EXTERNAL_DEVICE_ID", "TYPE", "ZONE", "ADDITIONAL_ZONES", "NAME"]
    assert [row.split()[1] for row in rows] == ["a-first", "cam-sci", "wh-bridge", "wh-dock-1"]
    dock = rows[3].split()
    assert dock[:5] == [str(live["wh-dock-1"]["device_id"]), "wh-dock-1", "camera", "101", "102,103"]
    assert rows[3].endswith("Loading Dock 1")
    assert rows[1].split()[4:] == ["-", "-"]  # no additional zones, no name

    as_json = run_cli("list", "--dealer", "2", "--site", "3", "--format", "json", env=cli_env)
    assert as_json.returncode == 0
    devices = json.loads(as_json.stdout)
    assert [d["external_device_id"] for d in devices] == ["a-first", "cam-sci", "wh-bridge", "wh-dock-1"]
    assert devices == [live[d["external_device_id"]] for d in devices]

    via_flags = {k: v for k, v in cli_env.items() if k not in ("CHEKT_BASE_URL", "CHEKT_TOKEN_URL")}
    flagged = run_cli(
        "list",
        "--dealer",
        "2",
        "--site",
        "4",
        "--base-url",
        server.url,
        "--token-url",
        server.token_url,
        env=via_flags,
    )
    assert flagged.returncode == 0, flagged.stderr
    assert flagged.stdout.splitlines()[1:] == []  # site 4 is empty: the header only
